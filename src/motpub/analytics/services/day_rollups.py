"""Rollups of whole UTC days, built from the hourly rollups once a day's 24 hours are rolled
up: daily visitor rows, item and code hour rows, daily engagement rows (see domain.rollup). The
rollup job (services.rollups) decides which days to build, and when.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import (Integer, String, and_, case, cast, delete, exists, func, insert,
                        literal, null, or_, select, union_all)
from sqlalchemy.orm import Session, aliased

from motpub.analytics.models.rollup import (
    CodeHourRollup, DailyEngagementRollup, DailyVisitorRollup, EngagementRollup, ItemHourRollup,
    VisitorRollup, VisitRollup)

# What a visitor hash fixes (its device and address), unlike language, code or exhibition.
VISITOR_DIMENSIONS = ("device_class", "os", "browser", "in_app", "country")
# The values the daily rows are kept per, besides the item.
DAY_DIMENSIONS = (*VISITOR_DIMENSIONS, "language", "code_id")
DAY_COUNTS = ("scans", "views", "visitors", "scan_visitors", "bot_scans", "orphan_scans")


def days_sharing_sessions(session: Session, first: int, end: int, *, before: int) -> list[int]:
    """The UTC days before day `before` with rows of a page session that the hours first
    <= hour < end have rows of too: their daily rows, built before, are built again, now
    that the session crosses a midnight."""
    other = aliased(EngagementRollup)
    rebuilt = select(EngagementRollup.page_session).where(EngagementRollup.hour >= first,
                                                          EngagementRollup.hour < end)
    day = other.hour // 24
    return list(session.scalars(select(day).where(other.page_session.in_(rebuilt),
                                                  other.hour < before * 24)
                                .group_by(day)))


class DayFilter(NamedTuple):
    """The language and exhibition filter that rows of whole days are kept for: "" and
    None for all rows."""

    language: str
    exhibition_id: int | None

    def where(self, model) -> list:
        """Its conditions on the hourly rows of `model`."""
        return [*([model.language == self.language] if self.language else []),
                *([model.exhibition_id == self.exhibition_id]
                  if self.exhibition_id is not None else [])]

    def columns(self) -> list:
        return [literal(self.language, String()).label("language"),
                literal(self.exhibition_id, Integer()).label("exhibition_id")]


ALL = DayFilter("", None)


def rebuild_days(session: Session, first_day: int, end_day: int) -> None:
    """Replace the daily rows of the UTC days first_day <= day < end_day, whose 24 hours
    are all rolled up, from the hourly rows: for all rows, and for each filter they have
    rows of."""
    session.execute(delete(DailyVisitorRollup).where(DailyVisitorRollup.day >= first_day,
                                                     DailyVisitorRollup.day < end_day))
    for model in (ItemHourRollup, CodeHourRollup):
        session.execute(delete(model).where(model.hour >= first_day * 24,
                                            model.hour < end_day * 24))
    session.execute(delete(DailyEngagementRollup).where(DailyEngagementRollup.day >= first_day,
                                                        DailyEngagementRollup.day < end_day))
    for day_filter in _filters(session, first_day, end_day):
        _rebuild_visitor_days(session, first_day, end_day, day_filter)
        _rebuild_item_hours(session, first_day, end_day, day_filter)
        _rebuild_code_hours(session, first_day, end_day, day_filter)
        _rebuild_engagement_days(session, first_day, end_day, day_filter)


def _filters(session: Session, first_day: int, end_day: int) -> list[DayFilter]:
    """All rows, then each language, exhibition, and pair of them in the days' rows."""
    pairs = set()
    for model in (VisitRollup, EngagementRollup):
        pairs.update(session.execute(
            select(model.language, model.exhibition_id)
            .where(model.hour >= first_day * 24, model.hour < end_day * 24).distinct()))
    languages = sorted({language for language, _e in pairs if language})
    exhibitions = sorted({exhibition for _l, exhibition in pairs if exhibition is not None})
    return [ALL, *(DayFilter(language, None) for language in languages),
            *(DayFilter("", exhibition) for exhibition in exhibitions),
            *sorted(DayFilter(*pair) for pair in pairs if pair[0] and pair[1] is not None)]


def _rebuild_visitor_days(session: Session, first_day: int, end_day: int,
                          day_filter: DayFilter) -> None:
    """Human scans, views and visitors per day, item and value of each dimension; with the
    bot and orphan scans in the rows of all values and in those of each code."""
    model = VisitorRollup
    day = model.hour // 24  # one expression object: PostgreSQL must see the same one twice
    for dimension in ("", *DAY_DIMENSIONS):
        # Per visitor (and value) first, then per value: exact even for a visitor with two
        # values of a dimension, whom the hourly figures also count under each.
        column = [getattr(model, dimension)] if dimension else []
        per_visitor = select(
            day.label("day"), model.item_id, *column,
            func.sum(case((model.is_scan.is_(True), model.visits), else_=0)).label("scans"),
            func.sum(case((model.is_scan.is_(True), 0), else_=model.visits)).label("views")) \
            .where(model.hour >= first_day * 24, model.hour < end_day * 24,
                   *day_filter.where(model)) \
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
        if dimension in ("", "code_id"):  # with the scans apart, in the same rows
            apart = _scans_apart(first_day, end_day, day_filter, per_code=bool(dimension))
            both = union_all(per_value, apart).subquery().c
            per_value = select(both.day, both.item_id, both.value,
                               *(func.sum(both[name]).label(name) for name in DAY_COUNTS)) \
                .group_by(both.day, both.item_id, both.value)
        session.execute(insert(DailyVisitorRollup).from_select(
            ["day", "item_id", "value", *DAY_COUNTS, "dimension", "language", "exhibition_id"],
            select(*per_value.subquery().c, literal(dimension), *day_filter.columns())))


def _scans_apart(first_day: int, end_day: int, day_filter: DayFilter, *, per_code: bool):
    """Scans by bots, and of codes that led nowhere, per day and item (and code), as daily
    rows."""
    model = VisitRollup
    day = model.hour // 24  # one expression object: PostgreSQL must see the same one twice
    bot = and_(model.is_bot.is_(True), model.is_orphan.is_(False))
    code = func.coalesce(cast(model.code_id, String), "") if per_code else literal("")
    return select(day.label("day"), model.item_id, code.label("value"),
                  *(literal(0) for _name in DAY_COUNTS[:4]),
                  func.sum(case((bot, model.scans), else_=0)),
                  func.sum(case((model.is_orphan.is_(True), model.scans), else_=0))) \
        .where(model.hour >= first_day * 24, model.hour < end_day * 24,
               or_(model.is_bot.is_(True), model.is_orphan.is_(True)),
               *day_filter.where(model)) \
        .group_by(day, model.item_id, *([model.code_id] if per_code else []))


def _rebuild_item_hours(session: Session, first_day: int, end_day: int,
                        day_filter: DayFilter) -> None:
    """Human scans and scan visitors per item and hour, and how many of those visitors
    scanned first and last that UTC day in that hour."""
    model = VisitorRollup
    span = {"partition_by": (model.item_id, model.visitor_hash, model.hour // 24)}
    per_visitor = select(model.hour, model.item_id, func.sum(model.visits).label("scans"),
                         func.min(model.hour).over(**span).label("first"),
                         func.max(model.hour).over(**span).label("last")) \
        .where(model.is_scan.is_(True), model.hour >= first_day * 24,
               model.hour < end_day * 24, *day_filter.where(model)) \
        .group_by(model.hour, model.item_id, model.visitor_hash).subquery()
    rows = per_visitor.c
    session.execute(insert(ItemHourRollup).from_select(
        ["hour", "item_id", "scans", "visitors", "first_visitors", "last_visitors",
         "language", "exhibition_id"],
        select(rows.hour, rows.item_id, func.sum(rows.scans), func.count(),
               func.sum(case((rows.hour == rows.first, 1), else_=0)),
               func.sum(case((rows.hour == rows.last, 1), else_=0)), *day_filter.columns())
        .group_by(rows.hour, rows.item_id)))


def _rebuild_code_hours(session: Session, first_day: int, end_day: int,
                        day_filter: DayFilter) -> None:
    model = VisitRollup
    session.execute(insert(CodeHourRollup).from_select(
        ["hour", "code_id", "item_id", "scans", "language", "exhibition_id"],
        select(model.hour, model.code_id, model.item_id, func.sum(model.scans),
               *day_filter.columns())
        .where(model.hour >= first_day * 24, model.hour < end_day * 24,
               model.code_id.is_not(None), model.is_bot.is_(False),
               model.is_orphan.is_(False), *day_filter.where(model))
        .group_by(model.hour, model.code_id, model.item_id)))


def _rebuild_engagement_days(session: Session, first_day: int, end_day: int,
                             day_filter: DayFilter) -> None:
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
            .where(model.hour >= first_day * 24, model.hour < end_day * 24,
                   *day_filter.where(model)) \
            .group_by(day, *by, model.page_session).subquery()

    def crossing(rows):
        return exists().where(other.page_session == rows.page_session,
                              or_(other.hour < rows.day * 24, other.hour >= rows.day * 24 + 24))

    columns = ["day", "item_id", "page_session", "watch_s", "sessions", "plays", "halfway",
               "completions", "language", "exhibition_id"]
    for per_item in (False, True):
        rows = per_session(*([model.item_id] if per_item else [])).c
        item_id = [rows.item_id] if per_item else []
        session.execute(insert(DailyEngagementRollup).from_select(columns, select(
            rows.day, *(item_id or [null()]), null(), rows.watch_s, func.count(),
            func.sum(rows.plays), func.sum(rows.halfway), func.sum(rows.completions),
            *day_filter.columns())
            .where(~crossing(rows)).group_by(rows.day, *item_id, rows.watch_s)))
    session.execute(insert(DailyEngagementRollup).from_select(columns, select(
        rows.day, rows.item_id, rows.page_session, rows.watch_s, literal(1), rows.plays,
        rows.halfway, rows.completions, *day_filter.columns()).where(crossing(rows))))
