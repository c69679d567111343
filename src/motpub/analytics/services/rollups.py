"""Rolling raw scan, view and engagement rows up into hourly rows, and whole UTC days into
daily rows (services.day_rollups), and deleting old raw rows.

One watermark row says up to which UTC hour everything is rolled up, another up to which
UTC day the daily rows are built (after an upgrade that adds daily rows, the job builds
them for every day of hourly rows, a week per run). A run locks the first one (an UPDATE
holds the row lock on PostgreSQL and the write lock on SQLite), so two workers running the
job at once take turns instead of interleaving; it then replaces the rollups of whole hours
(delete, insert from the raw rows) and of the days they complete, and moves the watermarks,
all in one transaction. Replacing rather than adding makes a run idempotent: running it
twice, or a second worker repeating the same hours, gives the same rows.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from sqlalchemy import (Integer, and_, case, cast, delete, false, func, insert, literal, null,
                        select, true, update)
from sqlalchemy.orm import Session

from motpub.analytics.models.engagement import Engagement, EngagementKind
from motpub.analytics.models.rollup import (
    EngagementRollup, RollupWatermark, VisitorRollup, VisitRollup)
from motpub.analytics.models.scan import Scan, View
from motpub.analytics.services.day_rollups import days_sharing_sessions, rebuild_days
from motpub.database import epoch_seconds, unit_of_work, upsert

WATERMARK = "visits"
DAYS_WATERMARK = "days"
# Rows reach the database a moment after their time (the scan writer's group commit, or its
# retries while the database is away): an hour is rolled only this long after it ends, and
# the hours just before the watermark are rolled again on every run to catch late rows.
GRACE = dt.timedelta(minutes=5)
REROLL_HOURS = 2
MAX_HOURS_PER_RUN = 24 * 7  # a backlog is rolled a week per transaction
MAX_DAYS_PER_RUN = 8  # the week of a backlog's run and the day its re-rolled hours touch
# Between a backlog's transactions: SQLite's busy handler retries at most every 100 ms, so
# a writer that waited for one (a scan, a beacon, a rival job) gets in before the next.
BACKLOG_PAUSE_S = 0.15
DIMENSIONS = ("item_id", "exhibition_id", "language", "device_class", "os", "browser",
              "in_app", "country")


def hour_of(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // 3600


def moment_of(hour: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(hour * 3600, dt.UTC)


def watermark(session: Session, name: str = WATERMARK) -> int | None:
    """The first UTC hour not rolled up yet, or None before the first run; with
    DAYS_WATERMARK, the first hour of the first UTC day with no daily rows yet."""
    return session.scalar(select(RollupWatermark.hour).where(RollupWatermark.name == name))


def roll_up(session: Session, *, now: dt.datetime) -> int:
    """Roll up the complete hours since the watermark (at most a week of them) and the
    whole days they complete; returns how many hours remain for the next call, 0 when all
    is done. The caller commits."""
    dialect = session.get_bind().dialect.name
    _ensure_watermark(session, dialect)
    # Lock first, read after: whoever waited here reads the watermark its rival left.
    session.execute(update(RollupWatermark).where(RollupWatermark.name == WATERMARK)
                    .values(hour=RollupWatermark.hour))
    done = watermark(session)
    if done == 0:  # the first run starts at the oldest raw row
        done = _oldest_hour(session, dialect) or hour_of(now - GRACE)
    until = hour_of(now - GRACE)
    target = max(min(until, done + MAX_HOURS_PER_RUN), done)
    _rebuild(session, dialect, done - REROLL_HOURS, target)
    session.execute(update(RollupWatermark).where(RollupWatermark.name == WATERMARK)
                    .values(hour=target, updated_at=now))
    # Days already built whose page sessions go on in the rebuilt hours are built again;
    # days not built yet are built below anyway.
    built = watermark(session, DAYS_WATERMARK) or 0
    for day in days_sharing_sessions(session, done - REROLL_HOURS, target,
                                     before=min(done - REROLL_HOURS, built) // 24):
        rebuild_days(session, day, day + 1)
    days_left = _roll_days(session, dialect, done - REROLL_HOURS, target, now)
    return max(until - target, days_left * 24, 0)


def _ensure_watermark(session: Session, dialect: str) -> None:
    session.execute(upsert(dialect, RollupWatermark).values(
        name=WATERMARK, hour=0, updated_at=dt.datetime.now(dt.UTC))
        .on_conflict_do_nothing(index_elements=["name"]))


def _roll_days(session: Session, dialect: str, first: int, end: int,
               now: dt.datetime) -> int:
    """Rebuild the daily rows of the whole UTC days that the rebuilt hours first <= hour <
    end touch and complete, and of the days before them not built yet (at most
    MAX_DAYS_PER_RUN of those); returns how many days remain."""
    built = watermark(session, DAYS_WATERMARK)
    if built is None:  # never built: from the first hourly row on
        firsts = [session.scalar(select(func.min(model.hour)))
                  for model in (VisitorRollup, EngagementRollup)]
        if firsts == [None, None]:
            return 0
        built = min(hour for hour in firsts if hour is not None)
    first_day, goal = min(built, first) // 24, end // 24
    end_day = min(goal, first_day + MAX_DAYS_PER_RUN)
    if end_day <= first_day:
        return 0
    rebuild_days(session, first_day, end_day)
    statement = upsert(dialect, RollupWatermark).values(name=DAYS_WATERMARK,
                                                        hour=end_day * 24, updated_at=now)
    session.execute(statement.on_conflict_do_update(
        index_elements=["name"], set_={"hour": statement.excluded.hour,
                                       "updated_at": statement.excluded.updated_at}))
    return goal - end_day


def _oldest_hour(session: Session, dialect: str) -> int | None:
    firsts = [session.scalar(select(func.min(column))) for column in
              (Scan.scanned_at, View.viewed_at, Engagement.created_at)]
    firsts = [moment for moment in firsts if moment is not None]
    if not firsts:
        return None
    first = min(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC) for moment in firsts)
    return hour_of(first)


def _rebuild(session: Session, dialect: str, first: int, end: int) -> None:
    """Replace the rollups of the UTC hours first <= hour < end with what the raw rows say."""
    if end <= first:
        return
    for model in (VisitRollup, VisitorRollup, EngagementRollup):
        session.execute(delete(model).where(model.hour >= first, model.hour < end))
    start, stop = moment_of(first), moment_of(end)
    for model, moment, is_scan in ((Scan, Scan.scanned_at, True),
                                   (View, View.viewed_at, False)):
        hour = epoch_seconds(moment, dialect) // 3600
        code_id = model.code_id if is_scan else cast(null(), Integer)
        dims = [getattr(model, name) for name in DIMENSIONS]
        in_range = and_(moment >= start, moment < stop)
        count = func.count()
        is_orphan = model.is_orphan if is_scan else false()
        served = [model.is_orphan.is_(False)] if is_scan else []
        session.execute(insert(VisitRollup).from_select(
            ["hour", "code_id", *DIMENSIONS, "asked_language", "is_bot", "is_orphan", "scans",
             "views"],
            select(hour, code_id, *dims, model.asked_language, model.is_bot, is_orphan,
                   count if is_scan else literal(0), literal(0) if is_scan else count)
            .where(in_range).group_by(
                hour, *(dims if not is_scan else [model.code_id, *dims, model.is_orphan]),
                model.asked_language, model.is_bot)))
        session.execute(insert(VisitorRollup).from_select(
            ["hour", "is_scan", "code_id", *DIMENSIONS, "visitor_hash", "visits"],
            select(hour, true() if is_scan else false(), code_id, *dims, model.visitor_hash,
                   count)
            .where(in_range, model.is_bot.is_(False), *served)
            .group_by(hour, *(dims if not is_scan else [model.code_id, *dims]),
                      model.visitor_hash)))
    _rebuild_engagement(session, dialect, start, stop)


def _rebuild_engagement(session: Session, dialect: str, start: dt.datetime,
                        stop: dt.datetime) -> None:
    hour = epoch_seconds(Engagement.created_at, dialect) // 3600
    kind, value = Engagement.kind, Engagement.value

    def flag(condition):
        return func.max(case((condition, 1), else_=0)) == 1

    counted = (EngagementKind.VIDEO_START, EngagementKind.VIDEO_PROGRESS,
               EngagementKind.WATCH_TIME)
    session.execute(insert(EngagementRollup).from_select(
        ["hour", "item_id", "code_id", "exhibition_id", "language", "page_session", "is_play",
         "is_halfway", "is_complete", "watch_s"],
        select(hour, Engagement.item_id, Engagement.code_id, Engagement.exhibition_id,
               Engagement.language, Engagement.page_session,
               flag(kind == EngagementKind.VIDEO_START),
               flag(and_(kind == EngagementKind.VIDEO_PROGRESS, value >= 50)),
               flag(and_(kind == EngagementKind.VIDEO_PROGRESS, value == 100)),
               func.max(case((kind == EngagementKind.WATCH_TIME, value))))
        .where(Engagement.created_at >= start, Engagement.created_at < stop,
               kind.in_(counted))
        .group_by(hour, Engagement.item_id, Engagement.code_id, Engagement.exhibition_id,
                  Engagement.language, Engagement.page_session)))


def delete_rolled_events(session: Session, *, now: dt.datetime, keep_days: int) -> int:
    """Delete raw rows older than `keep_days`, but only those already rolled up."""
    done = watermark(session)
    if not done:
        return 0
    cutoff = min(now - dt.timedelta(days=keep_days), moment_of(done - REROLL_HOURS))
    deleted = 0
    for model, moment in ((Scan, Scan.scanned_at), (View, View.viewed_at),
                          (Engagement, Engagement.created_at)):
        deleted += session.execute(delete(model).where(moment < cutoff)).rowcount or 0
    return deleted


def roll_up_visits(session_factory: Callable[[], Session], *, now: dt.datetime,
                   keep_days: int) -> int:
    """What the periodic job does: roll up every complete hour, a week per transaction so
    a backlog never holds the lock for long, then delete expired raw rows; returns how many
    raw rows were deleted."""
    remaining = 1
    while remaining:
        with unit_of_work(session_factory) as session:
            remaining = roll_up(session, now=now)
        if remaining:
            time.sleep(BACKLOG_PAUSE_S)
    with unit_of_work(session_factory) as session:
        return delete_rolled_events(session, now=now, keep_days=keep_days)
