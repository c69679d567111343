"""Analytics figures read per Plan (services.analytics_plan): every figure is one SQL query
over a UNION ALL of its sources (rollups of whole days, hourly rollups and the raw tail),
aggregated by the database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (and_, case, exists, false, func, literal, literal_column, select, true,
                        union_all)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select, Subquery

from motpub.analytics.models.rollup import (
    DailyEngagementRollup, DailyVisitorRollup, EngagementRollup, ItemHourRollup, VisitorRollup,
    VisitRollup)
from motpub.analytics.models.engagement import Engagement, EngagementKind
from motpub.analytics.models.scan import Scan, View
from motpub.analytics.services.plan import Plan, Source, day_narrowing, venue_hours
from motpub.analytics.services.day_rollups import DAY_DIMENSIONS

# The groupings the daily rows hold: by item, and by the values they are kept per.
DAILY_GROUPINGS = ("item_id", *DAY_DIMENSIONS)
# Groupings by the venue hour that the item hour rows serve: "hour" for those that tell the
# hours of one UTC day apart (hours, hours of the day, weekday-hours), "day" for those that
# change at most once in a UTC day, at a venue midnight (days, weeks).
TIME_GROUPINGS = ("hour", "day")


def _key(key, source: Source):
    return (literal_column("0") if key is None else key(source)).label("key")


def _union(parts: list[Select[Any]]) -> Subquery:
    if len(parts) == 1:
        return parts[0].subquery()
    return union_all(*parts).subquery()


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
    if key is None:  # one total: also of one code, from the daily rows per code
        days = plan.whole_days(filters, code_id, per_code=True)
    else:
        days = plan.whole_days(filters, code_id) if by in DAILY_GROUPINGS or by_time else None
    if not days:
        figures = {}
    elif by_time:
        figures = _item_hour_figures(session, plan, filters, days, key, by)
    else:
        figures = _daily_figures(session, filters, days, by, scans_only, code_id)
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
    source = plan.hour_rows(model, filters, days)
    if by == "hour":
        visitors = model.visitors
    else:
        # A key that changes inside a UTC day cuts it in two: the part holding the day's
        # first hour has as visitors the firsts of its hours, the other the lasts.
        day_start = Source(model, venue_hours(model.hour // 24 * 24, plan.stretches, 3600))
        visitors = case((key(source) == key(day_start), model.first_visitors),
                        else_=model.last_visitors)
    rows = select(_key(key, source), model.scans.label("scans"),
                  visitors.label("visitors")).where(*source.where).subquery()
    result = session.execute(select(rows.c.key, func.sum(rows.c.scans),
                                    func.sum(rows.c.visitors)).group_by(rows.c.key))
    return {key_value: (int(scans), 0, int(visitors)) for key_value, scans, visitors in result}


def _daily_figures(session: Session, filters, days: tuple[int, int], by: str | None,
                   scans_only: bool, code_id: int | None = None) -> dict:
    model = DailyVisitorRollup
    where = [model.day >= days[0], model.day < days[1], *day_narrowing(model, filters),
             *_dimension_rows(by, code_id)]
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
                within: tuple[str, list] | None = None, *, hour_rows=None) -> dict:
    """{(key, ...): human scans of pages served} for groupings that show no visitors: sums
    over the visit rollup and a count of the raw tail, with no visitors to tell apart, so
    far cheaper than human_figures. `keys` are groupings as there; `within` narrows a
    dimension to some values, e.g. ("item_id", [3, 5]). With `hour_rows` (ItemHourRollup
    when the keys need only the item and the venue hour, CodeHourRollup when they need the
    code too) whole UTC days are summed from those rows."""
    parts = []
    days = plan.whole_days(filters, code_id) if hour_rows else None
    if days:
        source = plan.hour_rows(hour_rows, filters, days)
        where = source.where + ([source.column(within[0]).in_(within[1])] if within else [])
        parts.append(select(*(key(source).label(f"key{n}") for n, key in enumerate(keys)),
                            hour_rows.scans.label("visits")).where(*where))
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


def languages_asked(session: Session, plan: Plan, filters, code_id
                    ) -> dict[tuple[str | None, str], tuple[int, int]]:
    """{(language asked for, language served): (human scans, human views)} of pages served,
    from the hourly visit rollup (the daily rows keep no asked language) and the raw tail."""
    parts = []
    rollup = plan.rollup(VisitRollup, filters, code_id)
    if rollup:
        model = VisitRollup
        parts.append(select(model.asked_language, model.language, model.scans, model.views)
                     .where(*rollup.where, model.is_bot == false(), model.is_orphan == false()))
    for model, moment in ((Scan, Scan.scanned_at), (View, View.viewed_at)):
        source = plan.raw(model, moment, filters, code_id)
        if source is None:
            continue
        served = [Scan.is_orphan == false()] if model is Scan else []
        parts.append(select(model.asked_language, model.language,
                            literal(1 if model is Scan else 0), literal(0 if model is Scan else 1))
                     .where(*source.where, model.is_bot == false(), *served))
    if not parts:
        return {}
    asked, language, scans, views = _union(parts).c
    result = session.execute(select(asked, language, func.sum(scans), func.sum(views))
                             .group_by(asked, language))
    return {(row[0], row[1]): (int(row[2] or 0), int(row[3] or 0)) for row in result}


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
    days = plan.whole_days(filters, code_id, per_code=True)
    bots = tail.c.bots + _rolled_apart(plan, filters, code_id, days, is_bot=True) \
        + _daily_apart(filters, code_id, days, DailyVisitorRollup.bot_scans)
    orphans = tail.c.orphans + _rolled_apart(plan, filters, code_id, days, is_bot=None,
                                             is_orphan=True) \
        + _daily_apart(filters, code_id, days, DailyVisitorRollup.orphan_scans)
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


def _daily_apart(filters, code_id, days, column):
    if not days:
        return literal(0)
    model = DailyVisitorRollup
    return select(func.coalesce(func.sum(column), 0)).where(
        model.day >= days[0], model.day < days[1], *_dimension_rows(None, code_id),
        *day_narrowing(model, filters)).scalar_subquery()


def _dimension_rows(by: str | None, code_id: int | None) -> list:
    """Which daily visitor rows hold the figures grouped `by` (None: one total), of one
    code when code_id is set (then only a total)."""
    model = DailyVisitorRollup
    if code_id is not None:
        return [model.dimension == "code_id", model.value == str(code_id)]
    return [model.dimension == ("" if by in (None, "item_id") else by)]


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
    parts = _session_rows(plan, filters, code_id, days)
    counted = []  # rows of sessions counted per watch time: (watch_s, sessions, ...flags)
    if days:
        model = DailyEngagementRollup
        where = [model.day >= days[0], model.day < days[1], *day_narrowing(model, filters)]
        every_item = [model.item_id.is_(None)] if filters.item_id is None else []
        counted.append(select(model.watch_s, model.sessions, model.plays, model.halfway,
                              model.completions)
                       .where(*where, model.page_session.is_(None), *every_item))
        parts.append(select(model.page_session, model.plays, model.halfway, model.completions,
                            model.watch_s).where(*where, model.page_session.is_not(None)))
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


def _session_rows(plan: Plan, filters, code_id, days) -> list:
    """Rows of page sessions, (session, played, halfway, completed, watch_s), from the
    hourly rows besides whole `days` and from the raw tail."""
    parts = []
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
    return parts


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
