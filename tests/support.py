"""Shared test support: settings, databases, the studio's login, and small assertions.

Test modules import helpers from here, from tests/factories.py (the data tests make) and
from tests/e2e/browser.py (pages in Chromium), never from one another.
"""

from __future__ import annotations

import re
import shutil
import socket
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from motpub.config import Settings
from motpub.database import make_engine
from motpub.orm import Base

PASSWORD = "correct horse battery"


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


# Databases ---------------------------------------------------------------------------------

def admin_engine(url: str) -> Engine:
    """An autocommit engine on the server's `postgres` database, to create and drop others."""
    base = url.rpartition("/")[0].replace("postgresql://", "postgresql+psycopg://")
    return create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")


_cleaners: dict[str, Engine] = {}
_emptying_sql: dict[str, str] = {}


def empty_database(url: str) -> None:
    """Delete every row of the schema and restart its sequences, as a new database has them.

    DELETE rather than TRUNCATE: a test leaves a handful of rows, and deleting them costs a
    few milliseconds where TRUNCATE rewrites the files of all 24 tables and their indexes
    (about 0.3 s a test). Works whatever connections the test opened (servers, workers,
    the scan writer), as long as they hold no transaction open.
    """
    engine = _cleaners.get(url)
    if engine is None:
        engine = _cleaners[url] = create_engine(
            url.replace("postgresql://", "postgresql+psycopg://"), pool_size=1,
            pool_pre_ping=True)  # a test may have restarted or cut off the server
    with engine.begin() as connection:
        if url not in _emptying_sql:
            _emptying_sql[url] = _emptying_statements(connection)
        connection.exec_driver_sql(_emptying_sql[url])


def forget_database(url: str) -> None:
    """Close the connection empty_database keeps to `url` (before dropping it)."""
    engine = _cleaners.pop(url, None)
    if engine is not None:
        engine.dispose()


def _emptying_statements(connection) -> str:
    # Children before parents, so no foreign key is ever broken on the way.
    deletes = [f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables)]
    sequences = connection.scalars(text(
        "SELECT quote_ident(sequence_name) FROM information_schema.sequences "
        "WHERE sequence_schema = current_schema()")).all()
    restarts = [f"SELECT setval('{name}', 1, false)" for name in sorted(sequences)]
    return "; ".join(deletes + restarts)


def sqlite_database(path: Path, template_dir: Path) -> str:
    """The URL of a new SQLite database at `path` with the schema: a copy of a template built
    once per run (creating the schema costs about 70 ms, copying the file under 1 ms)."""
    template = template_dir / "template.db"
    if not template.exists():
        engine = make_engine(f"sqlite:///{template}")
        Base.metadata.create_all(engine)
        engine.dispose()  # the last connection checkpoints the WAL into the file
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


# The studio --------------------------------------------------------------------------------

def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):
    page = client.get("/studio/login")
    return client.post("/studio/login", data={
        "email": email, "password": password, "csrf_token": csrf_token(page.text)})


def forged_session_cookie(app, client, secret_key: str, email: str) -> str:
    """A studio session cookie for `email`, signed with `secret_key` as Flask signs one."""
    from flask import Flask
    from flask_login.utils import _create_identifier
    from sqlalchemy import select

    from motpub.accounts.models import User
    from motpub.accounts.sessions import SessionUser

    with app.extensions["motpub"].session_factory() as session:
        user_id = SessionUser(session.scalar(select(User).where(User.email == email))).get_id()
    with app.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    signer = Flask("forger")
    signer.secret_key = secret_key
    serializer = app.session_interface.get_signing_serializer(signer)
    return serializer.dumps({"_user_id": user_id, "_fresh": True, "_id": identifier})


# Small assertions and tools ----------------------------------------------------------------

def sample(text: str, name: str, **labels: str) -> float:
    """The value of one Prometheus sample in an exposition, 0 when it is absent."""
    wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
                     if labels else "")
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.rpartition(" ")[2])
    return 0.0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the test connects to it


def assert_one_line(result, *expected: str) -> None:
    """A command failed with one `motpub: ...` line holding every `expected` text."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("motpub: ")
    for text_ in expected:
        assert text_ in line


def ensure_bucket(endpoint_url: str, bucket: str) -> None:
    from motpub.storage.s3 import make_client

    client = make_client(endpoint_url)
    try:
        client.head_bucket(Bucket=bucket)
    except client.exceptions.ClientError:
        client.create_bucket(Bucket=bucket)


def use_moto_credentials(monkeypatch, tmp_path: Path) -> None:
    """Moto accepts any credentials; keep a developer's own AWS settings out of the run."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                 "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
