"""Fixtures: a fresh app per test from create_app(settings), on SQLite and on PostgreSQL.

PostgreSQL is a real server on loopback: MOTPUB_TEST_POSTGRES_URL's, or else a throwaway
cluster this session starts (tests/provision.py), as it does Redis without
MOTPUB_TEST_REDIS_URL. Each starts when a test first needs it and stops at the end of the
session. The schema is built once per run with the migrations; each test's rows are
truncated after it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from motpub.app import create_app
from motpub.config import PROJECT_ROOT, Settings
from motpub.database import make_engine, upgrade
from motpub.orm import Base
from motpub.accounts.services import create_token, create_user
from motpub.web.extensions import limiter
from tests import provision

PASSWORD = "correct horse battery"


def _admin_engine(url: str):
    base = url.rpartition("/")[0].replace("postgresql://", "postgresql+psycopg://")
    return create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")


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
        yield url
        return
    provision.end_session_on_sigterm()
    service = provision.start_redis()
    try:
        yield service.url
    finally:
        service.stop()


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
    admin = _admin_engine(url)
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
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'motpub.db'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url
    else:
        url = request.getfixturevalue("postgres_url")
        yield url
        _truncate(url)


def make_settings(tmp_path: Path, database_url: str, **changes) -> Settings:
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        public_url="http://motpub.test",
        secret_key="test-secret-key-0123456789-abcdefghijkl",
        queue_url=f"sqlite:///{tmp_path / 'queue.db'}",
        storage_url=f"file://{tmp_path / 'media'}",
        testing=True,
    )
    return settings.replace(**changes)


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


def add_user(app, email: str, role: str) -> str:
    """Create a user with PASSWORD and return an API token for it."""
    with app.extensions["motpub"].session_factory() as session:
        user = create_user(session, email=email, password=PASSWORD, role=role)
        token = create_token(session, user)
        session.commit()
    return token


@pytest.fixture
def editor_token(app) -> str:
    return add_user(app, "editor@example.org", "editor")


@pytest.fixture
def admin_token(app) -> str:
    return add_user(app, "admin@example.org", "admin")


@pytest.fixture
def analyst_token(app) -> str:
    return add_user(app, "analyst@example.org", "analyst")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


class Api:
    """The JSON API as a client sees it, with a token."""

    def __init__(self, client, token: str):
        self.client = client
        self.headers = bearer(token)

    def __getattr__(self, method: str):
        def call(path: str, **kwargs):
            headers = {**self.headers, **kwargs.pop("headers", {})}
            return getattr(self.client, method)(f"/api/v1{path}", headers=headers, **kwargs)

        return call

    def create_item(self, **fields) -> dict:
        payload = {"title": {"zh": "青铜鼎", "en": "Bronze ding"}, **fields}
        response = self.post("/items", json=payload)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def published_item_with_code(self, **fields) -> tuple[dict, str]:
        item = self.create_item(**fields)
        assert self.post(f"/items/{item['id']}/publish").status_code == 200
        code = self.post(f"/items/{item['id']}/codes", json={"label": "Hall 1"}).get_json()
        return item, code["code"]


@pytest.fixture
def api(client, editor_token) -> Api:
    return Api(client, editor_token)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):
    page = client.get("/studio/login")
    return client.post("/studio/login", data={
        "email": email, "password": password, "csrf_token": csrf_token(page.text)})


def make_clip(path: Path, *, seconds: float = 3, size: str = "320x180", rate: int = 25,
              audio: bool = True, extra: tuple[str, ...] = ()) -> Path:
    """A real H.264/AAC MP4 made by ffmpeg: moving test pattern and a tone."""
    import subprocess

    args = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
                 "-c:a", "aac", "-b:a", "96k"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", *extra,
             "-shortest", str(path)]
    subprocess.run(args, check=True, timeout=120)
    return path


@pytest.fixture(scope="session")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4")
