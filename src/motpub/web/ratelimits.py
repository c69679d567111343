"""Rate-limit counters in a SQLite file, shared by every process of one machine.

`limits` (under Flask-Limiter) keeps counters in memory, Redis, Memcached or MongoDB. In
memory each gunicorn worker counts alone, so "10 logins a minute" meant 10 per worker. The
embedded default has no server to share them through, only the data folder: this backend
keeps the fixed windows of `limits` in a small SQLite table there, one atomic UPSERT a hit.
Registered with `limits` under the scheme `sqlite` (`sqlite:///path/to/ratelimits.db`) by
importing this module.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from limits.storage import Storage, storage_from_string

from motpub.checks import WARN, Status, mask_url

_SCHEMA = """CREATE TABLE IF NOT EXISTS counter (
    key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL NOT NULL)"""
# A hit on an expired window starts a new one: the same semantics as limits' memory storage.
_INCR = """INSERT INTO counter (key, value, expires_at) VALUES (:key, :amount, :expires_at)
    ON CONFLICT (key) DO UPDATE SET
        value = CASE WHEN expires_at <= :now THEN :amount ELSE value + :amount END,
        expires_at = CASE WHEN expires_at <= :now THEN :expires_at ELSE expires_at END
    RETURNING value"""
PURGE_EVERY = 1000  # hits between deletions of expired windows, per process


class SqliteStorage(Storage):
    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, *,
                 clock: Callable[[], float] = time.time, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._clock = clock  # a test moves it instead of waiting for a window to end
        # sqlite:///relative/path or sqlite:////absolute/path, as SQLAlchemy spells them.
        self.path = Path(uri.removeprefix("sqlite:///"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._hits = 0
        self._connection().execute(_SCHEMA)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread and process: connections cross neither.
        connection = getattr(self._local, "connection", None)
        if connection is None or self._local.pid != os.getpid():
            connection = sqlite3.connect(self.path, timeout=5, isolation_level=None,
                                         check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = self._clock()
        connection = self._connection()
        (value,) = connection.execute(_INCR, {"key": key, "amount": amount, "now": now,
                                              "expires_at": now + expiry}).fetchone()
        self._hits += 1
        if self._hits % PURGE_EVERY == 0:
            connection.execute("DELETE FROM counter WHERE expires_at <= ?", (now,))
        return value

    def get(self, key: str) -> int:
        row = self._connection().execute(
            "SELECT value FROM counter WHERE key = ? AND expires_at > ?",
            (key, self._clock())).fetchone()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._connection().execute(
            "SELECT expires_at FROM counter WHERE key = ? AND expires_at > ?",
            (key, self._clock())).fetchone()
        return row[0] if row else self._clock()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM counter").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counter WHERE key = ?", (key,))


def check_ratelimit_storage(url: str) -> str | tuple[Status, str]:
    """For `motpub doctor`: the counters' storage answers (its password never shown)."""
    if url.startswith("memory://"):
        return WARN, ("memory://: each web worker counts alone, so a limit allows that many "
                      "times more; use sqlite:/// or redis://")
    if not storage_from_string(url).check():
        raise RuntimeError(f"{mask_url(url)} does not answer")
    return f"{mask_url(url)} answers"
