"""Recording scans without slowing the page that a scan serves.

Scans are handed to a background writer, which commits them in groups: it wakes on the first
scan, lets the group fill for `linger_s` (50 ms), and writes everything buffered by then in one
transaction. A scan is in the database about 50 ms after its page went out, and a busy process
commits at most about 20 times a second however many scans it serves: one INSERT of many rows
costs about what one row costs, so the scan page stays near the speed of a page that writes
nothing. (Without the wait, a writer that wakes on every scan commits groups of one or two
under load, and those commits cost the page as much CPU as serving it.) The buffer is flushed
on a clean shutdown, so no scan is lost.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from motpub.database import insert_rows, unit_of_work
from motpub.analytics.models.scan import DeviceClass, Scan, View
from motpub.i18n import LanguageSource
from motpub.analytics.models.engagement import Engagement, EngagementKind
from motpub.analytics.services.visitors import classify, referrer_host, salt_for, visitor_hash
from motpub.orm import utcnow

log = logging.getLogger(__name__)


class ScanRecorder:
    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        retry_after_s: float = 1.0,
        max_batch: int = 2000,
        linger_s: float = 0.05,
        country_of: Callable[[str], str] | None = None,
        on_written: Callable[[str, int], None] | None = None,
        on_buffered: Callable[[int], None] | None = None,
    ):
        # Observers for metrics: rows written per table ("scan", "view", "engagement"),
        # and the number of rows still buffered whenever it changes.
        self._on_written = on_written
        self._on_buffered = on_buffered
        self._country_of = country_of  # services.visitors.country_lookup, when configured
        self._session_factory = session_factory
        self._retry_after_s = retry_after_s
        self._linger_s = linger_s
        self._max_batch = max_batch
        self._rows: list[dict[str, Any]] = []
        self._salts: dict[Any, str] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        atexit.register(self.flush)

    def record_scan(self, *, code_id: int, item_id: int | None, language: str,
                    language_source: LanguageSource, user_agent: str = "", ip: str = "",
                    referrer: str | None = None, is_head: bool = False,
                    exhibition_id: int | None = None, is_orphan: bool = False,
                    asked_language: str | None = None) -> None:
        self._add({"table": Scan.__table__, "code_id": code_id, "item_id": item_id,
                   "language": language, "language_source": language_source,
                   "asked_language": asked_language,
                   "exhibition_id": exhibition_id, "is_orphan": is_orphan,
                   "scanned_at": utcnow()}, user_agent, ip, referrer, is_head)

    def record_view(self, *, item_id: int, language: str, language_source: LanguageSource,
                    user_agent: str = "", ip: str = "", referrer: str | None = None,
                    is_head: bool = False, asked_language: str | None = None) -> None:
        self._add({"table": View.__table__, "item_id": item_id, "language": language,
                   "language_source": language_source, "asked_language": asked_language,
                   "viewed_at": utcnow()},
                  user_agent, ip, referrer, is_head)

    def record_engagement(self, *, item_id: int, video_id: int | None, page_session: str,
                          kind: EngagementKind, value: float | None, language: str,
                          code_id: int | None = None,
                          exhibition_id: int | None = None) -> None:
        row = {"table": Engagement.__table__, "item_id": item_id, "video_id": video_id,
               "code_id": code_id, "exhibition_id": exhibition_id,
               "page_session": page_session, "kind": kind, "value": value,
               "language": language, "created_at": utcnow()}
        with self._lock:
            self._rows.append(row)
            self._buffered_now()
        self._ensure_thread()
        self._wake.set()

    def _add(self, row: dict[str, Any], user_agent: str, ip: str, referrer: str | None,
             is_head: bool) -> None:
        # The raw user agent and IP stay in this buffer only until the writer turns them
        # into classes and a salted hash; they are never written anywhere.
        row["_request"] = (user_agent, ip, referrer, is_head)
        with self._lock:
            self._rows.append(row)
            self._buffered_now()
        self._ensure_thread()
        self._wake.set()

    def _enrich(self, session: Session, row: dict[str, Any]) -> dict[str, Any]:
        if "_request" not in row:
            return row
        user_agent, ip, referrer, is_head = row.pop("_request")
        visitor = classify(user_agent)
        moment = row.get("scanned_at") or row["viewed_at"]
        day = moment.date()
        if day not in self._salts:
            self._salts = {day: salt_for(session, day)}
        row.update(
            device_class=DeviceClass.BOT if is_head else visitor.device_class,
            os=visitor.os, browser=visitor.browser, in_app=visitor.in_app,
            is_bot=visitor.is_bot or is_head, referrer_host=referrer_host(referrer),
            country=self._country_of(ip) if self._country_of else "",
            visitor_hash=visitor_hash(self._salts[day], row["item_id"], ip, user_agent),
        )
        return row

    def _buffered_now(self) -> None:
        # Called with the lock held, so the last value reported is the true one.
        if self._on_buffered is not None:
            self._on_buffered(len(self._rows))

    def pending(self) -> int:
        with self._lock:
            return len(self._rows)

    def flush(self) -> int:
        """Write every buffered scan now, in batches; returns how many were written."""
        written = 0
        with self._flush_lock:
            while True:
                with self._lock:
                    rows = self._rows[: self._max_batch]
                    del self._rows[: self._max_batch]
                    if rows:
                        self._buffered_now()
                if not rows:
                    return written
                try:
                    self._write(rows)
                except IntegrityError:
                    # A row whose item was deleted meanwhile must not hold back the others.
                    for row in rows:
                        try:
                            self._write([row])
                        except IntegrityError:
                            log.warning("dropped a visit whose item or code is gone")
                except Exception:
                    # Keep the rows for the next attempt instead of losing them.
                    with self._lock:
                        self._rows[:0] = rows
                        self._buffered_now()
                    raise
                written += len(rows)

    def _write(self, rows: list[dict[str, Any]]) -> None:
        with unit_of_work(self._session_factory) as session:
            # Plain column values, as each database takes them cheapest (COPY on
            # PostgreSQL): the ORM's per-row bookkeeping would cost more than the insert.
            batches: dict[Any, list[dict[str, Any]]] = {
                Scan.__table__: [], View.__table__: [], Engagement.__table__: []}
            for row in rows:
                row = dict(row)
                batches[row.pop("table")].append(self._enrich(session, row))
            for table, batch in batches.items():
                if batch:
                    insert_rows(session.connection(), table, batch)
        if self._on_written is not None:
            for table, batch in batches.items():
                if batch:
                    self._on_written(table.name, len(batch))

    def _ensure_thread(self) -> None:
        # Started lazily and per process: a thread does not survive a fork of the web server.
        if self._pid == os.getpid() and self._thread and self._thread.is_alive():
            return
        with self._lock:
            if self._pid == os.getpid() and self._thread and self._thread.is_alive():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="scan-recorder", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if self._linger_s:
                time.sleep(self._linger_s)  # let the group fill
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                log.exception("writing scans failed; they stay buffered and are retried")
                time.sleep(self._retry_after_s)
                self._wake.set()


def item_stats(session: Session, item_id: int) -> dict[str, int]:
    """Scans that were served the item's page; orphan scans (the code led nowhere) apart."""
    counts = dict(session.execute(
        select(Scan.is_orphan, func.count(Scan.id)).where(Scan.item_id == item_id)
        .group_by(Scan.is_orphan)).all())
    return {"scans": counts.get(False, 0), "orphan_scans": counts.get(True, 0)}
