"""Content changes, announced to every process, so the scan page can cache lookups.

The scan page resolves a code to its published item on every request. That answer changes
only when an editor changes an item, a code or an exhibition, which is rare next to scans, so
each web process keeps the answers in memory (`TargetCache`) and drops them all when it learns
of a change. Learning must not cost a query per request:

- SQLite (one machine): a stamp file in the data directory, replaced after every commit that
  changed content; a cache compares the file's inode and mtime (one stat call) on each read,
  so every process on the machine sees the change as soon as the commit returns.
- PostgreSQL (many machines): a NOTIFY sent inside the changing transaction, so it is
  delivered exactly when the commit is, to a LISTEN thread in every process. The committing
  process drops its own cache at once; the others within the time a notice takes to arrive,
  typically a millisecond. While the listener is disconnected nothing is cached.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Hashable
from pathlib import Path

import psycopg
from sqlalchemy import event, text
from sqlalchemy.orm import Session, sessionmaker

# The tables whose rows decide what a scan or a page shows.
# A video becoming ready touches its item, so videos need no entry of their own.
CONTENT_TABLES = frozenset({"item", "code", "exhibition", "exhibition_item"})
CHANNEL = "motpub_content"
_CHANGED = "motpub_content_changed"
_unique = itertools.count()


class ChangeStamp:
    """A value that differs after every content change; reading it must be cheap."""

    def current(self) -> Hashable:
        raise NotImplementedError

    def announce_in_transaction(self, session: Session) -> None:
        """Called after a flush that changed content, inside its transaction."""

    def announce_committed(self) -> None:
        """Called after the commit of a transaction that changed content."""

    def close(self) -> None:
        pass


class FileChangeStamp(ChangeStamp):
    def __init__(self, path: Path):
        self.path = path

    def current(self) -> Hashable:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return None
        return info.st_ino, info.st_mtime_ns

    def announce_committed(self) -> None:
        # A new file renamed over the old one: a new inode, even within one mtime tick.
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.{next(_unique)}")
        temporary.write_bytes(b"")
        os.replace(temporary, self.path)


class PostgresChangeStamp(ChangeStamp):
    """A counter bumped by this process's commits and by every NOTIFY on CHANNEL."""

    RECONNECT_S = 1.0

    def __init__(self, database_url: str, *, connect_args: dict | None = None):
        self.conninfo = database_url.replace("postgresql+psycopg://", "postgresql://")
        # Timeouts and keepalives: a frozen server must not hold the listener forever.
        self.connect_args = connect_args or {}
        self._counter = itertools.count(1)  # next() is atomic; `+= 1` across threads is not
        self._count = 0
        self._listening = False
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def current(self) -> Hashable:
        if self._pid != os.getpid():
            self._start()
        if not self._listening:
            return object()  # equal to nothing: no cached answer is trusted
        return self._count

    def announce_in_transaction(self, session: Session) -> None:
        # Delivered by PostgreSQL when, and only if, the transaction commits.
        session.connection().execute(text(f"NOTIFY {CHANNEL}"))

    def announce_committed(self) -> None:
        self._count = next(self._counter)

    def close(self) -> None:
        self._stopped.set()

    def _start(self) -> None:
        # Per process: a thread does not survive the web server's fork.
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._listening = False
            threading.Thread(target=self._listen, name="motpub-changes", daemon=True).start()

    def _listen(self) -> None:
        while not self._stopped.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True,
                                     **self.connect_args) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    # Whatever was cached before listening may be stale.
                    self._count = next(self._counter)
                    self._listening = True
                    while not self._stopped.is_set():
                        for _notice in connection.notifies(timeout=1.0):
                            self._count = next(self._counter)
            except psycopg.Error:
                pass
            self._listening = False
            self._count = next(self._counter)
            self._stopped.wait(self.RECONNECT_S)


def make_change_stamp(database_url: str, data_dir: Path, *,
                      connect_args: dict | None = None) -> ChangeStamp:
    if database_url.startswith("sqlite"):
        return FileChangeStamp(data_dir / "content.stamp")
    return PostgresChangeStamp(database_url, connect_args=connect_args)


def announce_content_changes(session_factory: sessionmaker, stamp: ChangeStamp) -> None:
    """Every session of this factory that commits a content change announces it."""

    @event.listens_for(session_factory, "after_flush")
    def _after_flush(session: Session, _context) -> None:
        if session.info.get(_CHANGED):
            return
        for row in itertools.chain(session.new, session.dirty, session.deleted):
            if getattr(row, "__tablename__", None) in CONTENT_TABLES:
                session.info[_CHANGED] = True
                stamp.announce_in_transaction(session)
                return

    @event.listens_for(session_factory, "after_commit")
    def _after_commit(session: Session) -> None:
        if session.info.pop(_CHANGED, False):
            stamp.announce_committed()

    @event.listens_for(session_factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop(_CHANGED, None)


class TargetCache:
    """Answers of page lookups, valid until the next content change (or `max_age_s`)."""

    def __init__(self, stamp: ChangeStamp, *, max_entries: int = 10_000,
                 max_age_s: float = 300.0):
        self.stamp = stamp
        self.max_entries = max_entries
        self.max_age_s = max_age_s
        self._entries: dict[Hashable, object] = {}
        self._stamp: Hashable = None
        self._since = 0.0
        self._lock = threading.Lock()

    def get(self, key: Hashable, load):
        """The cached answer for `key`, or `load()`'s; None answers are not kept."""
        stamp = self.stamp.current()
        now = time.monotonic()
        if stamp != self._stamp or now - self._since > self.max_age_s:
            with self._lock:
                self._entries = {}
                self._stamp, self._since = stamp, now
        entries = self._entries
        if key in entries:
            return entries[key]
        answer = load()
        # Kept only if nothing changed while it was read, or it could outlive the change.
        if answer is not None and self.stamp.current() == stamp:
            with self._lock:
                if entries is self._entries and len(entries) < self.max_entries:
                    entries[key] = answer
        return answer

    def close(self) -> None:
        self.stamp.close()
