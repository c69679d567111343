"""Engine and sessions: one place that knows how each database backend is tuned, and the
only place with SQL that differs between them."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator

from typing import Any
from typing import cast as cast_type

from sqlalchemy import (BigInteger, Connection, CursorResult, Engine, Integer, Result, Table, cast,
                        create_engine, event, exc, func, insert, text)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import ColumnElement

# How long a statement may run on PostgreSQL beyond its server-side statement_timeout before
# the client gives up on the server itself (see StatementWatchdog).
CLIENT_GRACE_S = 5.0
_watchdogs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def make_engine(url: str, *, connect_timeout_s: float = 10.0,
                statement_timeout_s: float | None = None) -> Engine:
    """An engine tuned for its backend. On PostgreSQL no call waits forever on a server that
    stopped answering: connecting gives up after `connect_timeout_s`, a checkout from a full
    pool after as long, and a statement after `statement_timeout_s` (on the server; and on the
    client a few seconds later, for a server too frozen to enforce its own timeout)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, pool_size=5, max_overflow=10, pool_recycle=1800,
                           pool_timeout=connect_timeout_s,
                           connect_args=postgres_connect_args(
                               connect_timeout_s=connect_timeout_s,
                               statement_timeout_s=statement_timeout_s))
    watchdog = StatementWatchdog(
        default_s=statement_timeout_s + CLIENT_GRACE_S if statement_timeout_s else None)
    _watchdogs[engine] = watchdog  # insert_rows guards its COPY with it
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", _ping_if_idle(engine.dialect, watchdog))
    event.listen(engine, "before_cursor_execute", watchdog.before_execute)
    event.listen(engine, "after_cursor_execute", watchdog.after_execute)
    event.listen(engine, "handle_error", watchdog.on_error)
    event.listen(engine, "do_connect", _connect_within_limit)
    return engine


def _connect_within_limit(_dialect, _record, _cargs, cparams) -> None:
    # Under a time_limit() a new connection must not take longer than the limit either.
    limit = _limit_s.get()
    if limit is not None:
        cparams["connect_timeout"] = max(1, min(cparams.get("connect_timeout", limit),
                                                round(limit)))


def postgres_connect_args(*, connect_timeout_s: float,
                          statement_timeout_s: float | None = None) -> dict:
    """libpq parameters that bound every wait on the network: the connect timeout, TCP
    keepalives and a user timeout (a dead host or a cut cable is noticed in about 30 s), and
    the server-side statement timeout."""
    args: dict[str, int | str] = {"connect_timeout": max(1, round(connect_timeout_s)),
            "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
            "keepalives_count": 3, "tcp_user_timeout": 30_000}
    if statement_timeout_s:
        args["options"] = f"-c statement_timeout={round(statement_timeout_s * 1000)}"
    return args


# A tighter limit than the engine's default for the statements of this context (a request):
# see time_limit().
_limit_s: contextvars.ContextVar[float | None] = contextvars.ContextVar("motpub_db_limit",
                                                                       default=None)


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Give every PostgreSQL statement run inside at most `seconds` (on the client side):
    a health check or a visitor page answers 503 quickly rather than wait on a frozen server."""
    token = _limit_s.set(seconds)
    try:
        yield
    finally:
        _limit_s.reset(token)


class StatementWatchdog:
    """Ends the statements a PostgreSQL server no longer answers.

    A server that is frozen (stopped, swapping, behind a stalled proxy or firewall) keeps its
    TCP connections open and acknowledged, so neither statement_timeout (the server must run
    to enforce it) nor TCP keepalives ever fire, and psycopg would wait forever. One thread
    per process watches the deadlines of the statements in flight and shuts down the socket
    of one that overran: psycopg then raises OperationalError at once and SQLAlchemy drops
    the connection from the pool.
    """

    def __init__(self, *, default_s: float | None):
        self.default_s = default_s
        self._deadlines: dict[int, tuple[float, int]] = {}  # id(key) -> (deadline, fd)
        self._lock = threading.Condition()
        self._pid: int | None = None
        self._wake_at = 0.0  # when the watching thread looks next

    def limit_s(self) -> float | None:
        return _limit_s.get() or self.default_s

    @contextlib.contextmanager
    def guard(self, dbapi_connection) -> Iterator[None]:
        self.start(dbapi_connection, dbapi_connection)
        try:
            yield
        finally:
            self.stop(dbapi_connection)

    def start(self, key: object, dbapi_connection) -> None:
        """Watch what runs on `dbapi_connection` until stop(key)."""
        seconds = self.limit_s()
        fd = _socket_fd(dbapi_connection)
        if seconds is None or fd is None:
            return
        with self._lock:
            if self._pid != os.getpid():  # a thread does not survive the web server's fork
                self._pid = os.getpid()
                self._deadlines, self._wake_at = {}, 0.0
                threading.Thread(target=self._run, name="motpub-db-watchdog",
                                 daemon=True).start()
            deadline = time.monotonic() + seconds
            self._deadlines[id(key)] = (deadline, fd)
            if deadline < self._wake_at:  # most statements need no wake-up: spares a switch
                self._lock.notify()

    def stop(self, key: object) -> None:
        with self._lock:
            self._deadlines.pop(id(key), None)

    # Statements are watched by their cursor, which the error event also knows.
    def before_execute(self, connection, cursor, _statement, _parameters, _context,
                       _executemany) -> None:
        self.start(cursor, connection.connection.dbapi_connection)

    def after_execute(self, _connection, cursor, _statement, _parameters, _context,
                      _executemany) -> None:
        self.stop(cursor)

    def on_error(self, context) -> None:
        execution = context.execution_context  # None for an error while connecting
        cursor = getattr(execution, "cursor", None)
        if cursor is not None:
            self.stop(cursor)

    def _run(self) -> None:
        with self._lock:
            while True:
                now = time.monotonic()
                for key, (deadline, fd) in list(self._deadlines.items()):
                    if deadline <= now:
                        del self._deadlines[key]
                        _shut_down(fd)
                self._wake_at = min((deadline for deadline, _fd in self._deadlines.values()),
                                    default=now + 60)
                self._lock.wait(max(0.05, self._wake_at - now))


def _socket_fd(dbapi_connection) -> int | None:
    pgconn = getattr(dbapi_connection, "pgconn", None)  # psycopg; None for other drivers
    try:
        return pgconn.socket if pgconn is not None else None
    except Exception:  # a closed or broken connection has no socket
        return None


def _shut_down(fd: int) -> None:
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)  # the socket itself, so psycopg's fd sees it too
    except OSError:
        pass
    finally:
        sock.close()


# A connection used a moment ago is alive; pinging it on every checkout would add a round
# trip to every request (a third of the scan page's time on PostgreSQL). Only a connection
# idle for longer than this is pinged, so a database restart or an idle-timeout still costs
# no failed request once the pool has been quiet.
PING_AFTER_IDLE_S = 10.0


def _note_checkin(_dbapi_connection, record) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dialect, watchdog: StatementWatchdog):
    def ping(dbapi_connection, record, _proxy) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is not None and time.monotonic() - checked_in_at < PING_AFTER_IDLE_S:
            return
        try:
            with watchdog.guard(dbapi_connection):
                alive = dialect.do_ping(dbapi_connection)  # leaves no transaction open
        except Exception as error:
            raise exc.DisconnectionError() from error
        if not alive:
            # The pool discards this connection and checks out a fresh one.
            raise exc.DisconnectionError()

    return ping


def _tune_sqlite(dbapi_connection, _record) -> None:
    # WAL lets the page readers run while scans are written; NORMAL sync is durable
    # across application crashes, which is what an embedded venue server needs.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


# The unit of work: one transaction per request or job, committed at one boundary (the web
# front door's dispatch, or `unit_of_work` below). Services flush, and register here what
# must happen only once their change is committed: a queued job, a storage delete, a
# domain event. Nothing leaves the process for a change the database never kept.
_AFTER_COMMIT = "motpub.after_commit"
_FAILED = "motpub.after_commit_failed"


def after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run `callback` once the transaction of `session` commits; a rollback drops it.

    Callbacks run in the order they were registered, after the commit, outside any
    transaction of this session: one that needs the database opens its own session."""
    if not session.in_transaction():
        session.begin()  # so that a rollback or close before any statement drops it too
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the work is not kept yet
        return
    failed: list[Exception] = []
    for callback in session.info.pop(_AFTER_COMMIT, ()):
        try:
            callback()
        except Exception as error:  # the commit stands; the others still run
            failed.append(error)
    if failed:
        session.info[_FAILED] = failed


@event.listens_for(Session, "after_transaction_end")
def _drop_after_commit(session: Session, transaction) -> None:
    # The outermost transaction ended without a commit (rolled back, or the session
    # closed): what was registered for it never happens.
    if transaction.parent is None:
        session.info.pop(_AFTER_COMMIT, None)


def commit(session: Session) -> None:
    """Commit the unit of work and run its after-commit callbacks; if one failed, raise
    its error once they have all run (the commit stands)."""
    session.commit()
    raise_failed_callbacks(session)


def raise_failed_callbacks(session: Session) -> None:
    failed = session.info.pop(_FAILED, None)
    if failed:
        raise failed[0]


@contextlib.contextmanager
def unit_of_work(session_factory: Callable[[], Session]) -> Iterator[Session]:
    """A session whose work is committed when the block ends, or rolled back if it raises;
    then its after-commit callbacks run. Background work (a job, the scan writer) uses one
    per step it must keep on its own: a heartbeat commits by itself, a lease by itself."""
    with session_factory() as session:
        with session.begin():
            yield session
        raise_failed_callbacks(session)


def ping(session: Session) -> None:
    session.execute(text("SELECT 1"))


def check_database(engine: Engine) -> None:
    """Connect once and run a trivial query: raises if the database cannot be used."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def alembic_config(database_url: str, migrations_dir: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", migrations_dir)
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


@functools.cache
def migration_heads(migrations_dir: str) -> tuple[str, ...]:
    """The newest revision(s) of the migrations in `migrations_dir`: read once per process."""
    from alembic.script import ScriptDirectory

    return tuple(sorted(ScriptDirectory.from_config(alembic_config("sqlite://", migrations_dir))
                        .get_heads()))


@functools.cache
def migration_revisions(migrations_dir: str) -> frozenset[str]:
    """Every revision of the migrations in `migrations_dir`: those `upgrade` can start from."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://", migrations_dir))
    return frozenset(revision.revision for revision in script.walk_revisions())


def schema_revision(engine: Engine) -> tuple[str, ...]:
    """The revision(s) the database's schema is at; () for a database never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


def upgrade(database_url: str, migrations_dir: str, revision: str = "head") -> None:
    """Bring the schema to `revision` with the migrations in `migrations/`."""
    from alembic import command

    command.upgrade(alembic_config(database_url, migrations_dir), revision)


def insert_rows(connection: Connection, table: Table, rows: list[dict]) -> None:
    """Insert rows of plain column values, all with the same columns, in the cheapest way
    each database has: COPY on PostgreSQL, executemany elsewhere.

    Measured on the scan table in groups of 20, as the scan writer sends them: 70 µs of CPU
    a row with COPY, the server's and ours, against 110 with executemany. Values go through
    the columns' own conversions (enums to their values, UTC datetimes) as with an INSERT,
    and a constraint broken by a row raises IntegrityError as an INSERT would.
    """
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    import psycopg

    columns = list(rows[0])
    converters = [table.c[name].type.bind_processor(connection.dialect) for name in columns]
    quote = connection.dialect.identifier_preparer
    statement = (f"COPY {quote.format_table(table)} "
                 f"({', '.join(quote.quote(name) for name in columns)}) FROM STDIN")
    driver_connection = connection.connection.driver_connection
    watchdog = _watchdogs.get(connection.engine)
    try:
        with watchdog.guard(driver_connection) if watchdog else contextlib.nullcontext(), \
                driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([convert(row[name]) if convert else row[name]
                                for name, convert in zip(columns, converters, strict=True)])
    except psycopg.errors.IntegrityError as error:
        raise exc.IntegrityError(statement, None, error) from error


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched."""
    return cast_type(CursorResult[Any], result).rowcount


def read_connection(engine: Engine) -> Connection:
    """A pooled connection for a single read-only statement, outside any transaction.

    On PostgreSQL an autocommit connection spares the statement the BEGIN and ROLLBACK round
    trips a session wraps it in. (pysqlite begins no transaction for a SELECT anyway, and
    switching its isolation level would cost a PRAGMA each way.)
    """
    connection = engine.connect()
    if engine.dialect.name != "sqlite":
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection


def has_shared_connections(bind: object) -> bool:
    """Whether separate connections of `bind` see the same database: not an engine of an
    SQLite memory database, which is one per connection."""
    if not isinstance(bind, Engine):
        return False
    return bind.dialect.name != "sqlite" or bind.url.database not in (None, "", ":memory:")


def epoch_seconds(column: Any, dialect: str) -> ColumnElement[int]:
    """Whole seconds since 1970 UTC of a UTC datetime column, in SQL."""
    if dialect == "postgresql":
        return cast(func.floor(func.extract("epoch", column)), BigInteger)
    return cast(func.strftime("%s", column), Integer)  # SQLite keeps naive UTC text


def upsert(dialect: str, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` that takes ON CONFLICT clauses, in the dialect's spelling."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def tune_for_aggregates(session: Session) -> None:
    """Plan the rest of this transaction for large aggregates over the rollups (PostgreSQL).

    Distinct visitors are grouped in memory: the 4 MB default spills a week of a busy venue
    to disk. The rollups are read from memory, not a spinning disk: at the default
    random_page_cost of 4 the planner reads a week of the visit rollup through its hour
    index to find the bot scans (41 ms at 5 M events) instead of the tenth of it the
    (is_bot, hour) index holds (5 ms). Parallel workers cost more than they save on these
    queries (engagement: 60 ms with them, 30 ms without), and the summary already runs its
    two periods at once.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL work_mem = '64MB'"))
        session.execute(text("SET LOCAL random_page_cost = 1.1"))
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
