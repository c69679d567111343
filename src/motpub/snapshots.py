"""Database snapshots for backups: SQLite's online backup API, PostgreSQL's pg_dump -Fc and
pg_restore. The one place that knows how each database is copied out and put back."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import URL

# The file a backup keeps its database in, by dialect.
SNAPSHOT_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
PG_TIMEOUT_S = 6 * 3600


class SnapshotError(Exception):
    """A snapshot could not be taken or put back; the message says why."""


@contextmanager
def snapshot_database(engine: Engine, target: Path) -> Iterator[Connection]:
    """Write a consistent copy of the database to `target` and yield a connection that sees
    exactly what the copy holds, so the caller can read from the same moment."""
    if engine.dialect.name == "sqlite":
        yield from _sqlite_snapshot(engine, target)
    elif engine.dialect.name == "postgresql":
        yield from _postgres_snapshot(engine, target)
    else:
        raise SnapshotError(f"cannot back up a {engine.dialect.name} database")


def _sqlite_snapshot(engine: Engine, target: Path) -> Iterator[Connection]:
    raw = engine.raw_connection()
    try:
        with closing(sqlite3.connect(target)) as copy:
            # pages=-1 copies the whole database in one step, under one read transaction:
            # in WAL mode writers carry on meanwhile, and the copy is of one moment.
            raw.driver_connection.backup(copy, pages=-1)
            # One self-contained file, whatever the journal mode of the source.
            copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        raw.close()
    reader = create_engine("sqlite://", creator=lambda: sqlite3.connect(
        f"file:{target}?mode=ro", uri=True, check_same_thread=False))
    try:
        with reader.connect() as connection:
            yield connection
    finally:
        reader.dispose()


def _postgres_snapshot(engine: Engine, target: Path) -> Iterator[Connection]:
    with engine.connect() as connection:
        # One REPEATABLE READ transaction: its snapshot, exported, is the one pg_dump dumps
        # and the one the caller's queries see.
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot_id = connection.scalar(text("SELECT pg_export_snapshot()"))
            _run_pg(engine.url, ["pg_dump", "--format=custom", f"--snapshot={snapshot_id}",
                                 f"--file={target}"])
            yield connection


def alembic_revision(connection: Connection) -> str | None:
    """The schema's migration revision, or None for a schema not made by the migrations."""
    if "alembic_version" not in inspect(connection).get_table_names():
        return None
    return connection.scalar(text("SELECT version_num FROM alembic_version"))


def database_is_empty(engine: Engine) -> bool:
    """True when the database holds no tables (a SQLite file that does not exist yet counts)."""
    if engine.dialect.name == "sqlite" and not _sqlite_path(engine).exists():
        return True
    with engine.connect() as connection:
        return not inspect(connection).get_table_names()


def restore_database(engine: Engine, snapshot: Path, dialect: str, *, force: bool) -> None:
    """Put a snapshot taken by `snapshot_database` in place of the database of `engine`.

    Nothing else may use the database meanwhile: stop motpub first."""
    if dialect != engine.dialect.name:
        raise SnapshotError(f"the backup holds a {dialect} database and cannot be restored "
                            f"into {engine.dialect.name}")
    if not force and not database_is_empty(engine):
        raise SnapshotError("the database is not empty")
    engine.dispose()
    if dialect == "sqlite":
        _restore_sqlite(_sqlite_path(engine), snapshot)
        return
    if force:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    _run_pg(engine.url, ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                         "--single-transaction", str(snapshot)], database_flag="--dbname")


def _restore_sqlite(path: Path, snapshot: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.restoring")
    try:
        shutil.copyfile(snapshot, temporary)
        with open(temporary, "rb") as file:
            os.fsync(file.fileno())
        # A write-ahead log left beside the old file would be replayed into the new one.
        for suffix in ("-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise SnapshotError("an in-memory SQLite database has nothing to back up or restore")
    return Path(database)


def _run_pg(url: URL, args: list[str], *, database_flag: str = "--dbname") -> None:
    """Run a PostgreSQL client tool on the database at `url`; the password goes in the
    environment, never on the command line where `ps` shows it."""
    tool = args[0]
    if shutil.which(tool) is None:
        raise SnapshotError(f"{tool} is missing: install the PostgreSQL client tools "
                            "(Debian's postgresql-client) of the server's major version "
                            "or newer")
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    libpq_url = url.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)
    try:
        result = subprocess.run([*args, f"{database_flag}={libpq_url}"], env=environment,
                                capture_output=True, text=True, timeout=PG_TIMEOUT_S,
                                stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise SnapshotError(f"{tool} did not finish within {PG_TIMEOUT_S} s") from None
    if result.returncode != 0:
        raise SnapshotError(f"{tool} failed ({result.returncode}): "
                            f"{result.stderr.strip()[-2000:]}")
