"""Fixtures: a fresh app per test from create_app(settings), on SQLite and on PostgreSQL.

PostgreSQL is a real server on loopback: MOTPUB_TEST_POSTGRES_URL's, or else a throwaway
cluster this session starts (tests/provision.py), as it does Redis without
MOTPUB_TEST_REDIS_URL. Each starts when a test first needs it and stops at the end of the
session. The schema is built once per run (PostgreSQL's with the migrations, SQLite's into a
template file each test copies); each test's rows are deleted after it.

Helpers live in tests/support.py and tests/factories.py; test modules import from those,
never from each other or from this file.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from sqlalchemy import text

from motpub.app import create_app
from motpub.config import PROJECT_ROOT, Settings
from motpub.database import upgrade
from motpub.web.extensions import limiter
from tests import provision
from tests.factories import Api, add_user, make_clip
from tests.support import (admin_engine, empty_database, forget_database, make_settings,
                           sqlite_database)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """MOTPUB_TEST_POSTGRES_URL, or the URL of a throwaway cluster stopped at the end."""
    if url := os.environ.get("MOTPUB_TEST_POSTGRES_URL"):
        yield url
        return
    provision.end_session_on_sigterm()
    service = provision.start_postgres()
    try:
        yield service.url
    finally:
        service.stop()


@pytest.fixture(scope="session")
def redis_server() -> str:
    """MOTPUB_TEST_REDIS_URL, or the URL of a throwaway redis-server stopped at the end."""
    if url := os.environ.get("MOTPUB_TEST_REDIS_URL"):
        yield _worker_database(url)
        return
    provision.end_session_on_sigterm()
    service = provision.start_redis()
    try:
        yield service.url
    finally:
        service.stop()


def _worker_database(redis_url: str) -> str:
    """Under pytest-xdist, worker N uses the database numbered N after the given one, so
    workers sharing one server never flush each other's keys."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return redis_url
    parts = urlsplit(redis_url)
    number = parts.path.strip("/")
    first = int(number) if number.isdigit() else 0
    return urlunsplit(parts._replace(path=f"/{first + 1 + int(worker[2:])}"))


@pytest.fixture(scope="session")
def s3_endpoint_url():
    """A real S3 endpoint when one is configured, else moto's server on a free loopback port."""
    if endpoint_url := os.environ.get("MOTPUB_TEST_S3_ENDPOINT_URL"):
        yield endpoint_url
        return
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    """The tests' Redis database, empty before and after the test."""
    connection = redis.Redis.from_url(redis_server)
    connection.flushdb()
    yield redis_server
    connection.flushdb()
    connection.close()


@pytest.fixture(scope="session")
def postgres_url(postgres_server) -> str:
    """A database of this run's own, so parallel runs never meet; dropped at the end."""
    url = f"{postgres_server}_{os.getpid()}"
    name = url.rpartition("/")[2]
    admin = admin_engine(url)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        raise RuntimeError(
            f"PostgreSQL is needed for the tests at {postgres_server} "
            f"(MOTPUB_TEST_POSTGRES_URL): {error}"
        ) from error
    upgrade(url, str(PROJECT_ROOT / "migrations"))
    yield url
    forget_database(url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sqlite-template")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A database with the schema and no rows: a new SQLite file, or the run's PostgreSQL
    database, emptied after the test."""
    if request.param == "sqlite":
        yield sqlite_database(tmp_path / "motpub.db",
                              request.getfixturevalue("sqlite_template_dir"))
    else:
        url = request.getfixturevalue("postgres_url")
        yield url
        empty_database(url)


@pytest.fixture
def settings(tmp_path, database_url) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def app(settings):
    app = create_app(settings)
    # Rate-limit counters live in the limiter's storage, which outlives one test's app.
    limiter.reset()
    yield app
    runtime = app.extensions["motpub"]
    runtime.scan_recorder.flush()
    runtime.target_cache.close()
    runtime.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    with app.extensions["motpub"].session_factory() as session:
        yield session


@pytest.fixture
def editor_token(app) -> str:
    return add_user(app, "editor@example.org", "editor")


@pytest.fixture
def admin_token(app) -> str:
    return add_user(app, "admin@example.org", "admin")


@pytest.fixture
def analyst_token(app) -> str:
    return add_user(app, "analyst@example.org", "analyst")


@pytest.fixture
def api(client, editor_token) -> Api:
    return Api(client, editor_token)


@pytest.fixture(scope="session")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4")
