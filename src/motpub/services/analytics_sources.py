"""Where analytics figures are read from: the hourly rollups for the hours they cover, and the
raw rows for the tail after the watermark. Every figure is one SQL query over a UNION ALL of
the two, aggregated by the database.

Buckets are venue hours, numbered since 1970: a row's UTC time plus the venue's UTC offset at
that time (a CASE over the offset changes inside the range, for daylight saving), divided
into hours. Days and weeks are whole numbers of venue hours, so the same integer arithmetic
works on both databases. Rollups hold whole UTC hours, which are whole venue hours only where
the offset is a whole number of hours; for any other zone (Asia/Kathmandu, +05:45) figures
are read from the raw rows alone, so they reach back only as far as raw rows are kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import (String, and_, case, exists, false, func, literal, literal_column, null,
                        or_, select, text, true, type_coerce, union_all)
from sqlalchemy.orm import Session

from motpub.domain import (DailyEngagementRollup, DailyVisitorRollup, Engagement,
                           EngagementKind, EngagementRollup, ItemHourRollup, Scan, View,
                           VisitorRollup, VisitRollup)
from motpub.services.rollups import (DAY_DIMENSIONS, DAYS_WATERMARK, epoch_seconds, hour_of,
                                     moment_of, watermark)

EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday; Monday is 0
# The groupings the daily rows hold: by item, and by the values they are kept per.
DAILY_GROUPINGS = ("item_id", *DAY_DIMENSIONS)
# Groupings by the venue hour that the item hour rows serve: "hour" for those that tell the
# hours of one UTC day apart (hours, hours of the day, weekday-hours), "day" for those that
# change at most once in a UTC day, at a venue midnight (days, weeks).
TIME_GROUPINGS = ("hour", "day")


@dataclass(frozen=True)
class Source:
    """One table a figure reads, with its filters and its venue-hour expression."""

    model: type
    local_hour: object
    where: list = field(default_factory=list)

    def column(self, name: str):
        value = getattr(self.model, name, None)
        if value is None:
            return null()
        return type_coerce(value, String()) if name == "device_class" else value


def offsets(zone: ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[tuple[int, int]]:
    """(from UTC second, venue offset in seconds) for each stretch of one offset in range."""
    def offset(moment: dt.datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds())

    stretches = [(int(start.timestamp()), offset(start))]
    day = start
    while day < end:
        following = min(day + dt.timedelta(days=1), end)
        if offset(following) != stretches[-1][1]:
            moment = day
            while offset(moment) == stretches[-1][1]:  # transitions fall on whole minutes
                moment += dt.timedelta(minutes=15)
            stretches.append((int(moment.timestamp()), offset(moment)))
        day = following
    return stretches


def _local(seconds, stretches: list[tuple[int, int]], unit: int):
    """Venue time of a UTC time expression in `unit` seconds (1 or 3600), in venue hours."""
    if len(stretches) == 1:
        shift = literal(stretches[0][1] // unit)
    else:
        shift = case(*((seconds < begin // unit, off // unit)
                       for (begin, _o), (_b, off) in zip(stretches[1:], stretches, strict=False)),
                     else_=stretches[-1][1] // unit)
    return seconds + shift if unit == 3600 else (seconds + shift) // 3600


@dataclass(frozen=True)
class Plan:
    """Which hours come from rollups and where the raw tail starts, for one period."""

    dialect: str
    stretches: list
    first_hour: int
    rolled_end: int  # rollups cover first_hour <= hour < rolled_end
    tail_start: dt.datetime
    end: dt.datetime
    days_end: int  # the daily rows cover the UTC days before this one

    @classmethod
    def make(cls, session: Session, filters) -> Plan:
        stretches = offsets(filters.zone, filters.start, filters.end)
        first, last = hour_of(filters.start), hour_of(filters.end)
        whole = all(off % 3600 == 0 and begin % 3600 == 0 for begin, off in stretches)
        if session.get_bind().dialect.name == "postgresql":
            # For this transaction only. Distinct visitors are grouped in memory: the 4 MB
            # default spills a week of a busy venue to disk. The rollups are read from
            # memory, not a spinning disk: at the default random_page_cost of 4 the planner
            # reads a week of the visit rollup through its hour index to find the bot scans
            # (41 ms at 5 M events) instead of the tenth of it the (is_bot, hour) index
            # holds (5 ms). Parallel workers cost more than they save on these queries
            # (engagement: 60 ms with them, 30 ms without), and the summary already runs
            # its two periods at once.
            session.execute(text("SET LOCAL work_mem = '64MB'"))
            session.execute(text("SET LOCAL random_page_cost = 1.1"))
            session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        rolled = min(last, watermark(session) or 0) if whole else first
        tail = max(filters.start, moment_of(rolled)) if rolled > first else filters.start
        return cls(session.get_bind().dialect.name, stretches, first, max(rolled, first),
                   tail, filters.end, (watermark(session, DAYS_WATERMARK) or 0) // 24)

    def whole_days(self, filters, code_id) -> tuple[int, int] | None:
        """The UTC days first <= day < end inside the rolled-up hours, which the daily rows
        can stand for: unfiltered or by item, since they have no language, code or
        exhibition."""
        if filters.language or code_id is not None or filters.exhibition_id is not None:
            return None
        first, end = -(-self.first_hour // 24), min(self.rolled_end // 24, self.days_end)
        return (first, end) if end > first else None

    def rollup(self, model, filters, code_id, *, besides: tuple[int, int] | None = None
               ) -> Source | None:
        """Rolled-up rows of the period's hours; `besides` leaves out whole days (first,
        end) that the daily rows stand for."""
        if self.rolled_end <= self.first_hour:
            return None
        first, end = self.first_hour, self.rolled_end
        if besides:  # two ranges of hours, each read through the hour index on its own
            where = [or_(and_(model.hour >= first, model.hour < besides[0] * 24),
                         and_(model.hour >= besides[1] * 24, model.hour < end))]
        else:
            where = [model.hour >= first, model.hour < end]
        where += _common(model, filters, code_id)
        if hasattr(model, "code_id") and code_id is not None:
            where.append(model.code_id == code_id)
        return Source(model, _local(model.hour, self.stretches, 3600), where)

    def item_hours(self, filters, days: tuple[int, int]) -> Source:
        """The item hour rows of whole UTC days (first, end)."""
        model = ItemHourRollup
        return Source(model, _local(model.hour, self.stretches, 3600),
                      [model.hour >= days[0] * 24, model.hour < days[1] * 24,
                       *_common(model, filters, None)])

    def raw(self, model, moment, filters, code_id) -> Source | None:
        if model is View and code_id is not None:
            return None  # a view is not through any code
        where = [moment >= self.tail_start, moment < self.end, *_common(model, filters, code_id)]
        if model in (Scan, Engagement) and code_id is not None:
            where.append(model.code_id == code_id)
        seconds = epoch_seconds(moment, self.dialect)
        return Source(model, _local(seconds, self.stretches, 1), where)


def _common(model, filters, code_id) -> list:
    where = []
    if filters.item_id is not None:
        where.append(model.item_id == filters.item_id)
    if filters.language:
        where.append(model.language == filters.language)
    if filters.exhibition_id is not None and hasattr(model, "exhibition_id"):
        where.append(model.exhibition_id == filters.exhibition_id)
    return where


def _key(key, source: Source):
    return (literal_column("0") if key is None else key(source)).label("key")


def _union(parts: list):
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()


def human_figures(session: Session, plan: Plan, filters, code_id, key, *,
                  scans_only: bool, by: str | None = None) -> dict:
    """{key: (human scans, human views, distinct human visitors)} in one pass over the
    visitor rollup and the raw tail; `key(source)` is the grouping, None for one total.

    Whole UTC days are read from the daily rows instead, for one total or a grouping by a
    column in DAILY_GROUPINGS (`by`), or from the item hour rows, for scans grouped by the
    venue hour (`by` in TIME_GROUPINGS); and added: a visitor's hash is of one UTC day and
    one item, so no visitor is counted in both parts.
    """
    by_time = scans_only and by in TIME_GROUPINGS
    days = plan.whole_days(filters, code_id) \
        if key is None or by in DAILY_GROUPINGS or by_time else None
    if not days:
        figures = {}
    elif by_time:
        figures = _item_hour_figures(session, plan, filters, days, key, by)
    else:
        figures = _daily_figures(session, filters, days, by, scans_only)
    parts = []
    rollup = plan.rollup(VisitorRollup, filters, code_id, besides=days)
    if rollup:
        model = VisitorRollup
        where = rollup.where + ([model.is_scan == true()] if scans_only else [])
        parts.append(select(_key(key, rollup), case((model.is_scan.is_(True), 1), else_=0),
                            model.visits, model.visitor_hash).where(*where))
    for model, moment in ((Scan, Scan.scanned_at), (View, View.viewed_at)):
        source = plan.raw(model, moment, filters, code_id)
        if source and not (scans_only and model is View):
            served = [Scan.is_orphan.is_(False)] if model is Scan else []
            parts.append(select(_key(key, source), literal(1 if model is Scan else 0),
                                literal(1), model.visitor_hash)
                         .where(*source.where, model.is_bot.is_(False), *served))
    rows = _union(parts)
    grouping, is_scan, visits, hashes = rows.c
    # Grouped by (key, visitor) first, then by key: both databases count distinct values
    # faster this way (a hash aggregate on PostgreSQL) than with COUNT(DISTINCT).
    per_visitor = select(grouping.label("key"),
                         func.sum(case((is_scan == 1, visits), else_=0)).label("scans"),
                         func.sum(case((is_scan == 0, visits), else_=0)).label("views")) \
        .group_by(grouping, hashes).subquery()
    result = session.execute(select(per_visitor.c.key, func.sum(per_visitor.c.scans),
                                    func.sum(per_visitor.c.views), func.count())
                             .group_by(per_visitor.c.key))
    for key_value, scans, views, visitors in result:
        before = figures.get(key_value, (0, 0, 0))
        figures[key_value] = (before[0] + int(scans or 0), before[1] + int(views or 0),
                              before[2] + int(visitors))
    return figures


def _item_hour_figures(session: Session, plan: Plan, filters, days: tuple[int, int], key,
                       by: str) -> dict:
    model = ItemHourRollup
    source = plan.item_hours(filters, days)
    if by == "hour":
        visitors = model.visitors
    else:
        # A key that changes inside a UTC day cuts it in two: the part holding the day's
        # first hour has as visitors the firsts of its hours, the other the lasts.
        day_start = Source(model, _local(model.hour // 24 * 24, plan.stretches, 3600))
        visitors = case((key(source) == key(day_start), model.first_visitors),
                        else_=model.last_visitors)
    rows = select(_key(key, source), model.scans.label("scans"),
                  visitors.label("visitors")).where(*source.where).subquery()
    result = session.execute(select(rows.c.key, func.sum(rows.c.scans),
                                    func.sum(rows.c.visitors)).group_by(rows.c.key))
    return {key_value: (int(scans), 0, int(visitors)) for key_value, scans, visitors in result}


def _daily_figures(session: Session, filters, days: tuple[int, int], by: str | None,
                   scans_only: bool) -> dict:
    model = DailyVisitorRollup
    where = [model.day >= days[0], model.day < days[1], *_common(model, filters, None),
             model.dimension == ("" if by in (None, "item_id") else by)]
    if scans_only:
        where.append(model.scans > 0)
    visitors = model.scan_visitors if scans_only else model.visitors
    sums = [func.sum(model.scans), func.sum(model.views), func.sum(visitors)]
    if by is not None:
        grouping = model.item_id if by == "item_id" else model.value
        result = session.execute(select(grouping, *sums).where(*where)
                                 .group_by(grouping)).all()
    else:  # one total, keyed 0 as human_figures keys it
        result = [(0, *session.execute(select(*sums).where(*where)).one())]
    figures = {row[0]: (int(row[1] or 0), 0 if scans_only else int(row[2] or 0),
                        int(row[3] or 0)) for row in result if row[1] or row[2]}
    if by == "code_id":  # kept as text; a view has none
        figures = {int(code): counts for code, counts in figures.items() if code}
    return figures


def human_scans(session: Session, plan: Plan, filters, code_id, keys: list,
                within: tuple[str, list] | None = None, *, by_item_hour: bool = False) -> dict:
    """{(key, ...): human scans of pages served} for groupings that show no visitors: sums
    over the visit rollup and a count of the raw tail, with no visitors to tell apart, so
    far cheaper than human_figures. `keys` are groupings as there; `within` narrows a
    dimension to some values, e.g. ("item_id", [3, 5]). With `by_item_hour` (the keys need
    only the item and the venue hour) whole UTC days are summed from the item hour rows."""
    parts = []
    days = plan.whole_days(filters, code_id) if by_item_hour else None
    if days:
        source = plan.item_hours(filters, days)
        where = source.where + ([source.column(within[0]).in_(within[1])] if within else [])
        parts.append(select(*(key(source).label(f"key{n}") for n, key in enumerate(keys)),
                            ItemHourRollup.scans.label("visits")).where(*where))
    rollup = plan.rollup(VisitRollup, filters, code_id, besides=days)
    raw = plan.raw(Scan, Scan.scanned_at, filters, code_id)
    for source, model, visits in ((rollup, VisitRollup, VisitRollup.scans),
                                  (raw, Scan, literal(1))):
        if source is None:
            continue
        where = [*source.where, model.is_bot == false(), model.is_orphan == false()]
        if model is VisitRollup:
            where.append(model.code_id.is_not(None))  # a row of views has no code
        if within:
            where.append(source.column(within[0]).in_(within[1]))
        parts.append(select(*(key(source).label(f"key{n}") for n, key in enumerate(keys)),
                            visits.label("visits")).where(*where))
    rows = _union(parts)
    *grouping, visits = rows.c
    result = session.execute(select(*grouping, func.sum(visits)).group_by(*grouping))
    return {tuple(row[:-1]): int(row[-1]) for row in result}


def scans_apart(session: Session, plan: Plan, filters, code_id) -> tuple[int, int]:
    """Scans by bots, and scans of codes that led nowhere: few. Whole UTC days come from
    the daily rows, the other rolled-up hours through the (is_bot, hour) and (is_orphan,
    hour) indexes of the visit rollup, the raw tail in one pass for both; all in one
    statement."""
    raw = plan.raw(Scan, Scan.scanned_at, filters, code_id)
    bot = and_(Scan.is_bot.is_(True), Scan.is_orphan.is_(False))
    tail = select(func.count().filter(bot).label("bots"),
                  func.count().filter(Scan.is_orphan.is_(True)).label("orphans")) \
        .where(*raw.where).subquery()
    days = plan.whole_days(filters, code_id)
    bots = tail.c.bots + _rolled_apart(plan, filters, code_id, days, is_bot=True) \
        + _daily_apart(filters, days, DailyVisitorRollup.bot_scans)
    orphans = tail.c.orphans + _rolled_apart(plan, filters, code_id, days, is_bot=None,
                                             is_orphan=True) \
        + _daily_apart(filters, days, DailyVisitorRollup.orphan_scans)
    return tuple(int(total) for total in session.execute(select(bots, orphans)).one())


def _rolled_apart(plan: Plan, filters, code_id, days, *, is_bot: bool | None,
                  is_orphan: bool = False):
    rollup = plan.rollup(VisitRollup, filters, code_id, besides=days)
    if not rollup:
        return literal(0)
    # `=`, not IS: PostgreSQL uses the (flag, hour) indexes only for `=`.
    where = [*rollup.where, VisitRollup.is_orphan == _bool(is_orphan)]
    if is_bot is not None:
        where.append(VisitRollup.is_bot == _bool(is_bot))
    return select(func.coalesce(func.sum(VisitRollup.scans), 0)).where(*where) \
        .scalar_subquery()


def _daily_apart(filters, days, column):
    if not days:
        return literal(0)
    model = DailyVisitorRollup
    return select(func.coalesce(func.sum(column), 0)).where(
        model.day >= days[0], model.day < days[1], model.dimension == "",
        *_common(model, filters, None)).scalar_subquery()


def engagement(session: Session, plan: Plan, filters, code_id) -> tuple[dict, float | None]:
    """Page sessions that played, got halfway and completed, and their median watch time
    (a page reports its running total, so a session's watch time is its largest).

    Whole UTC days are read from the daily engagement rows, unless a page session of the
    raw tail has rolled-up rows in them: the daily rows may count it as a session of that
    day alone until the next run of the job, so then every hour is read session by session.
    """
    days = plan.whole_days(filters, code_id)
    if days and _tail_shares_sessions(session, plan, filters, code_id, days):
        days = None
    parts = []  # rows of page sessions: (session, played, halfway, completed, watch_s)
    rollup = plan.rollup(EngagementRollup, filters, code_id, besides=days)
    if rollup:
        model = EngagementRollup
        parts.append(select(model.page_session, _flag(model.is_play == true()),
                            _flag(model.is_halfway == true()),
                            _flag(model.is_complete == true()), model.watch_s)
                     .where(*rollup.where))
    raw = plan.raw(Engagement, Engagement.created_at, filters, code_id)
    kind, value = Engagement.kind, Engagement.value
    progress = kind == EngagementKind.VIDEO_PROGRESS
    parts.append(select(Engagement.page_session, _flag(kind == EngagementKind.VIDEO_START),
                        _flag(progress & (value >= 50)), _flag(progress & (value == 100)),
                        case((kind == EngagementKind.WATCH_TIME, value)))
                 .where(*raw.where))
    counted = []  # rows of sessions counted per watch time: (watch_s, sessions, ...flags)
    if days:
        model = DailyEngagementRollup
        where = [model.day >= days[0], model.day < days[1]]
        item = [model.item_id == filters.item_id] if filters.item_id is not None else []
        counted.append(select(model.watch_s, model.sessions, model.plays, model.halfway,
                              model.completions)
                       .where(*where, model.page_session.is_(None),
                              *(item or [model.item_id.is_(None)])))
        parts.append(select(model.page_session, model.plays, model.halfway, model.completions,
                            model.watch_s).where(*where, model.page_session.is_not(None), *item))
    rows = _union(parts)
    session_id, play, half, done, watched = rows.c
    counted.append(select(func.max(watched), literal(1), func.max(play), func.max(half),
                          func.max(done)).group_by(session_id))
    every = _union(counted)
    watch_s, *counts = every.c
    result = session.execute(select(watch_s, *(func.sum(count) for count in counts))
                             .group_by(watch_s)).all()
    plays, halfway, completions = (sum(int(row[n] or 0) for row in result) for n in (2, 3, 4))
    middle = _median([(row[0], int(row[1])) for row in result if row[0] is not None])
    return {"plays": plays, "halfway": halfway, "completions": completions}, middle


def _tail_shares_sessions(session: Session, plan: Plan, filters, code_id,
                          days: tuple[int, int]) -> bool:
    raw = plan.raw(Engagement, Engagement.created_at, filters, code_id)
    rolled = EngagementRollup
    tail = select(Engagement.page_session).where(*raw.where).distinct()
    return session.scalar(select(exists().where(
        rolled.page_session.in_(tail), rolled.hour >= days[0] * 24,
        rolled.hour < days[1] * 24)))


def _median(counts: list[tuple[float, int]]) -> float | None:
    """The middle value of values counted as (value, how many), or the mean of the middle
    two when their number is even."""
    total = sum(count for _value, count in counts)
    if not total:
        return None
    ranks, middle, seen = ((total - 1) // 2, total // 2), [], 0
    for value, count in sorted(counts):
        while len(middle) < 2 and ranks[len(middle)] < seen + count:
            middle.append(value)
        if len(middle) == 2:
            return (middle[0] + middle[1]) / 2
        seen += count
    raise AssertionError("unreachable: the counts add up to total")


def _bool(value: bool):
    return true() if value else false()


def _flag(condition):
    return case((condition, 1), else_=0)
