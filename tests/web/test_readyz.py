"""`GET /readyz`: the checks cheap enough for every probe, by name, with nothing to learn
about the deployment from them."""

from __future__ import annotations

import socket
import time

import pytest

from motpub.app import create_app
from motpub.config import PROJECT_ROOT
from motpub.database import upgrade
from tests.support import closed_port, make_settings


@pytest.fixture
def migrated_url(tmp_path, database_url) -> str:
    """The test database with its migrations applied (the SQLite one is made fresh: the
    usual fixture builds its tables without them)."""
    if not database_url.startswith("sqlite"):
        return database_url  # the session's PostgreSQL database is migrated
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    upgrade(url, str(PROJECT_ROOT / "migrations"))
    return url


def make_client(settings):
    app = create_app(settings)
    return app, app.test_client()


def test_readyz_answers_200_when_database_storage_and_queue_answer(tmp_path, migrated_url):
    app, client = make_client(make_settings(tmp_path, migrated_url))
    try:
        response = client.get("/readyz")
    finally:
        app.extensions["motpub"].engine.dispose()
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {
        "database": "ok", "storage": "ok", "queue": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_answers_503_naming_only_the_failing_checks(tmp_path):
    # A database never migrated, a file where the storage folder must be, a closed port.
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}")
    blocker = tmp_path / "blocker"
    blocker.write_text("in the way")
    app, client = make_client(settings.replace(
        storage_url=f"file://{blocker}/media",
        queue_url=f"redis://127.0.0.1:{closed_port()}/0"))
    try:
        response = client.get("/readyz")
    finally:
        app.extensions["motpub"].engine.dispose()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_json() == {"status": "unavailable", "checks": {
        "database": "fail", "storage": "fail", "queue": "fail"}}
    # Probes send no credentials: no URL, path, address or reason in the answer.
    for secretive in ("sqlite", "redis", "127.0.0.1", str(tmp_path), "blocker", "upgrade"):
        assert secretive not in response.get_data(as_text=True)


def test_readyz_fails_only_storage_when_its_folder_cannot_be_made(tmp_path, migrated_url):
    blocker = tmp_path / "blocker"
    blocker.write_text("in the way")
    app, client = make_client(make_settings(tmp_path, migrated_url,
                                            storage_url=f"file://{blocker}/media"))
    try:
        response = client.get("/readyz")
    finally:
        app.extensions["motpub"].engine.dispose()
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "storage": "fail", "queue": "ok"}


def test_readyz_fails_a_redis_queue_that_accepts_but_never_answers_within_seconds(
        tmp_path, migrated_url):
    with socket.socket() as frozen:  # the kernel accepts connections; nobody ever replies
        frozen.bind(("127.0.0.1", 0))
        frozen.listen(8)
        port = frozen.getsockname()[1]
        app, client = make_client(make_settings(tmp_path, migrated_url,
                                                queue_url=f"redis://127.0.0.1:{port}/0"))
        try:
            started = time.monotonic()
            response = client.get("/readyz")
            seconds = time.monotonic() - started
        finally:
            app.extensions["motpub"].engine.dispose()
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "storage": "ok", "queue": "fail"}
    assert seconds < 10  # huey's Redis connections give up reading after 5 s
