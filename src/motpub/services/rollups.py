"""Rolling raw scan, view and engagement rows up into hourly rows, and whole UTC days into
daily rows, and deleting old raw rows.

One watermark row says up to which UTC hour everything is rolled up, another up to which
UTC day the daily rows are built (after an upgrade that adds daily rows, the job builds
them for every day of hourly rows, a week per run). A run locks the first row
first (an UPDATE holds the row lock on PostgreSQL and the write lock on SQLite), so two
workers running the job at once take turns instead of interleaving; it then replaces the
rollups of whole hours (delete, insert from the raw rows) and moves the watermark, all in
one transaction. Replacing rather than adding makes a run idempotent: running it twice, or
a second worker repeating the same hours, gives the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import (BigInteger, Integer, String, and_, case, cast, delete, exists, false,
                        func, insert, literal, null, or_, select, true, union_all, update)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from motpub.domain import (DailyEngagementRollup, DailyVisitorRollup, Engagement,
                           EngagementKind, EngagementRollup, ItemHourRollup, RollupWatermark,
                           Scan, View, VisitorRollup, VisitRollup)

WATERMARK = "visits"
DAYS_WATERMARK = "days"
# Rows reach the database a moment after their time (the scan writer's group commit, or its
# retries while the database is away): an hour is rolled only this long after it ends, and
# the hours just before the watermark are rolled again on every run to catch late rows.
GRACE = dt.timedelta(minutes=5)
REROLL_HOURS = 2
MAX_HOURS_PER_RUN = 24 * 7  # a backlog is rolled a week per transaction
MAX_DAYS_PER_RUN = 8  # the week of a backlog's run and the day its re-rolled hours touch
DIMENSIONS = ("item_id", "exhibition_id", "language", "device_class", "os", "browser",
              "in_app", "country")
# What a visitor hash fixes (its device and address), unlike language, code or exhibition.
VISITOR_DIMENSIONS = ("device_class", "os", "browser", "in_app", "country")
# The values the daily rows are kept per, besides the item.
DAY_DIMENSIONS = (*VISITOR_DIMENSIONS, "language", "code_id")
DAY_COUNTS = ("scans", "views", "visitors", "scan_visitors", "bot_scans", "orphan_scans")


def epoch_seconds(column, dialect: str):
    """Whole seconds since 1970 UTC of a UTC datetime column, in SQL."""
    if dialect == "postgresql":
        return cast(func.floor(func.extract("epoch", column)), BigInteger)
    return cast(func.strftime("%s", column), Integer)  # SQLite keeps naive UTC text


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
    for day in _days_sharing_sessions(session, done - REROLL_HOURS, target):
        _rebuild_days(session, day, day + 1)
    days_left = _roll_days(session, dialect, done - REROLL_HOURS, target, now)
    return max(until - target, days_left * 24, 0)


def _ensure_watermark(session: Session, dialect: str) -> None:
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert_(RollupWatermark).values(name=WATERMARK, hour=0,
                                                    updated_at=dt.datetime.now(dt.UTC))
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
    _rebuild_days(session, first_day, end_day)
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert_(RollupWatermark).values(name=DAYS_WATERMARK, hour=end_day * 24,
                                                updated_at=now)
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
            ["hour", "code_id", *DIMENSIONS, "is_bot", "is_orphan", "scans", "views"],
            select(hour, code_id, *dims, model.is_bot, is_orphan,
                   count if is_scan else literal(0), literal(0) if is_scan else count)
            .where(in_range).group_by(
                hour, *(dims if not is_scan else [model.code_id, *dims, model.is_orphan]),
                model.is_bot)))
        session.execute(insert(VisitorRollup).from_select(
            ["hour", "is_scan", "code_id", *DIMENSIONS, "visitor_hash", "visits"],
            select(hour, true() if is_scan else false(), code_id, *dims, model.visitor_hash,
                   count)
            .where(in_range, model.is_bot.is_(False), *served)
            .group_by(hour, *(dims if not is_scan else [model.code_id, *dims]),
                      model.visitor_hash)))
    _rebuild_engagement(session, dialect, start, stop)


def _days_sharing_sessions(session: Session, first: int, end: int) -> list[int]:
    """The UTC days before hour `first`'s whose daily rows count a page session that the
    hours first <= hour < end have rows of too: they are built again, now that it crosses
    a midnight."""
    other = aliased(EngagementRollup)
    rebuilt = select(EngagementRollup.page_session).where(EngagementRollup.hour >= first,
                                                          EngagementRollup.hour < end)
    day = other.hour // 24
    return list(session.scalars(select(day).where(other.page_session.in_(rebuilt),
                                                  other.hour < first // 24 * 24)
                                .group_by(day)))


def _rebuild_days(session: Session, first_day: int, end_day: int) -> None:
    """Replace the daily rows of the UTC days first_day <= day < end_day, whose 24 hours
    are all rolled up, from the hourly rows."""
    model = VisitorRollup
    session.execute(delete(DailyVisitorRollup).where(DailyVisitorRollup.day >= first_day,
                                                     DailyVisitorRollup.day < end_day))
    session.execute(delete(ItemHourRollup).where(ItemHourRollup.hour >= first_day * 24,
                                                 ItemHourRollup.hour < end_day * 24))
    session.execute(delete(DailyEngagementRollup).where(DailyEngagementRollup.day >= first_day,
                                                        DailyEngagementRollup.day < end_day))
    _rebuild_item_hours(session, first_day, end_day)
    _rebuild_engagement_days(session, first_day, end_day)
    day = model.hour // 24  # one expression object: PostgreSQL must see the same one twice
    for dimension in ("", *DAY_DIMENSIONS):
        # Per visitor (and value) first, then per value: exact even for a visitor with two
        # values of a dimension, whom the hourly figures also count under each.
        column = [getattr(model, dimension)] if dimension else []
        per_visitor = select(
            day.label("day"), model.item_id, *column,
            func.sum(case((model.is_scan.is_(True), model.visits), else_=0)).label("scans"),
            func.sum(case((model.is_scan.is_(True), 0), else_=model.visits)).label("views")) \
            .where(model.hour >= first_day * 24, model.hour < end_day * 24) \
            .group_by(day, model.item_id, model.visitor_hash, *column).subquery()
        rows = per_visitor.c
        value = func.coalesce(cast(rows[dimension], String), "") if dimension else literal("")
        per_value = select(rows.day, rows.item_id, value.label("value"),
                           func.sum(rows.scans).label("scans"),
                           func.sum(rows.views).label("views"),
                           func.count().label("visitors"),
                           func.sum(case((rows.scans > 0, 1), else_=0)).label("scan_visitors"),
                           literal(0).label("bot_scans"), literal(0).label("orphan_scans")) \
            .group_by(rows.day, rows.item_id, *([rows[dimension]] if dimension else []))
        if not dimension:  # with the scans apart, in the same rows
            both = union_all(per_value, _scans_apart(first_day, end_day)).subquery().c
            per_value = select(both.day, both.item_id, both.value,
                               *(func.sum(both[name]).label(name) for name in DAY_COUNTS)) \
                .group_by(both.day, both.item_id, both.value)
        session.execute(insert(DailyVisitorRollup).from_select(
            ["day", "item_id", "value", *DAY_COUNTS, "dimension"],
            select(*per_value.subquery().c, literal(dimension))))


def _scans_apart(first_day: int, end_day: int):
    """Scans by bots, and of codes that led nowhere, per day and item, as daily rows."""
    model = VisitRollup
    day = model.hour // 24  # one expression object: PostgreSQL must see the same one twice
    bot = and_(model.is_bot.is_(True), model.is_orphan.is_(False))
    return select(day.label("day"), model.item_id, literal("").label("value"),
                  *(literal(0) for _name in DAY_COUNTS[:4]),
                  func.sum(case((bot, model.scans), else_=0)),
                  func.sum(case((model.is_orphan.is_(True), model.scans), else_=0))) \
        .where(model.hour >= first_day * 24, model.hour < end_day * 24,
               or_(model.is_bot.is_(True), model.is_orphan.is_(True))) \
        .group_by(day, model.item_id)


def _rebuild_item_hours(session: Session, first_day: int, end_day: int) -> None:
    """Human scans and scan visitors per item and hour, and how many of those visitors
    scanned first and last that UTC day in that hour."""
    model = VisitorRollup
    span = {"partition_by": (model.item_id, model.visitor_hash, model.hour // 24)}
    per_visitor = select(model.hour, model.item_id, func.sum(model.visits).label("scans"),
                         func.min(model.hour).over(**span).label("first"),
                         func.max(model.hour).over(**span).label("last")) \
        .where(model.is_scan.is_(True), model.hour >= first_day * 24,
               model.hour < end_day * 24) \
        .group_by(model.hour, model.item_id, model.visitor_hash).subquery()
    rows = per_visitor.c
    session.execute(insert(ItemHourRollup).from_select(
        ["hour", "item_id", "scans", "visitors", "first_visitors", "last_visitors"],
        select(rows.hour, rows.item_id, func.sum(rows.scans), func.count(),
               func.sum(case((rows.hour == rows.first, 1), else_=0)),
               func.sum(case((rows.hour == rows.last, 1), else_=0)))
        .group_by(rows.hour, rows.item_id)))


def _rebuild_engagement_days(session: Session, first_day: int, end_day: int) -> None:
    """Page sessions per day and item, and per day over all items, counted per watch time;
    a session with hourly rows on another day too gets a row of its own per day and item."""
    model, other = EngagementRollup, aliased(EngagementRollup)

    def per_session(*by):
        day = model.hour // 24
        return select(day.label("day"), *by, model.page_session,
                      *(func.max(case((flag.is_(True), 1), else_=0)).label(name)
                        for flag, name in ((model.is_play, "plays"),
                                           (model.is_halfway, "halfway"),
                                           (model.is_complete, "completions"))),
                      func.max(model.watch_s).label("watch_s")) \
            .where(model.hour >= first_day * 24, model.hour < end_day * 24) \
            .group_by(day, *by, model.page_session).subquery()

    def crossing(rows):
        return exists().where(other.page_session == rows.page_session,
                              or_(other.hour < rows.day * 24, other.hour >= rows.day * 24 + 24))

    columns = ["day", "item_id", "page_session", "watch_s", "sessions", "plays", "halfway",
               "completions"]
    for per_item in (False, True):
        rows = per_session(*([model.item_id] if per_item else [])).c
        item_id = [rows.item_id] if per_item else []
        session.execute(insert(DailyEngagementRollup).from_select(columns, select(
            rows.day, *(item_id or [null()]), null(), rows.watch_s, func.count(),
            func.sum(rows.plays), func.sum(rows.halfway), func.sum(rows.completions))
            .where(~crossing(rows)).group_by(rows.day, *item_id, rows.watch_s)))
    session.execute(insert(DailyEngagementRollup).from_select(columns, select(
        rows.day, rows.item_id, rows.page_session, rows.watch_s, literal(1), rows.plays,
        rows.halfway, rows.completions).where(crossing(rows))))


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
        with session_factory() as session, session.begin():
            remaining = roll_up(session, now=now)
    with session_factory() as session, session.begin():
        return delete_rolled_events(session, now=now, keep_days=keep_days)
