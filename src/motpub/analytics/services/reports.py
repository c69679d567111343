"""Scan and engagement figures for ops: exact counts over a date range in the venue's zone.

Figures are read from the rollups plus the raw rows not rolled up yet (services.analytics_plan
says which, services.analytics_sources reads them), and are exactly what the raw rows alone
would say.
Humans and bots are never mixed: every human figure excludes rows flagged as bots.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import get_global
from pydantic import ConfigDict, Field, field_validator, ValidationInfo
from sqlalchemy import select
from sqlalchemy.orm import Session
from motpub.codes.models.code import Code
from motpub.analytics.models.rollup import CodeHourRollup, ItemHourRollup
from motpub.items.models import Item
from motpub.analytics.services.plan import EPOCH_WEEKDAY, Plan
from motpub.analytics.services.sources import (
    engagement, human_figures, human_scans, languages_asked, scans_apart)
from motpub.errors import Invalid
from motpub.inputs import Language, parse_query, QueryId, QueryInput, refusal
from motpub.i18n import first_present
from motpub.database import has_shared_connections, tune_for_aggregates

T = TypeVar("T")
DEFAULT_TIMEZONE = "Asia/Shanghai"
INTERVALS = ("hour", "day", "week")
BREAKDOWNS = {"item": "item_id", "code": "code_id", "language": "language",
              "device": "device_class", "os": "os", "browser": "browser", "in_app": "in_app",
              "country": "country", "hour": None, "weekday_hour": None}
# The rows of hours of whole days that hold human scans per breakdown, for those that have them.
EXPORT_VIEWS = ("summary", "timeseries", "breakdown", "languages")
HOUR_ROWS = {"item": ItemHourRollup, "code": CodeHourRollup, "hour": ItemHourRollup,
             "weekday_hour": ItemHourRollup}


@dataclass(frozen=True)
class Filters:
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime    # UTC, exclusive
    zone: ZoneInfo
    item_id: int | None = None
    code: str | None = None
    language: str | None = None
    exhibition_id: int | None = None

    def previous(self) -> Filters:
        """The period of the same length just before, for comparisons."""
        length = self.end - self.start
        return replace(self, start=self.start - length, end=self.start)


class AnalyticsQuery(QueryInput):
    """The filters every analytics view takes; an empty one is absent."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    blank_is_absent = frozenset({"from", "to", "item_id", "code", "exhibition_id",
                                 "language", "tz"})
    from_: str | None = Field(
        default=None, alias="from", json_schema_extra={"format": "date"},
        description="first day, in the venue's timezone (default: six days before to)")
    to: str | None = Field(default=None, json_schema_extra={"format": "date"},
                           description="last day, included (default: today)")
    item_id: QueryId | None = None
    code: str | None = Field(default=None, description="scans of this code, and plays of "
                                                       "pages opened through it")
    exhibition_id: QueryId | None = Field(
        default=None, description="scans, and plays of pages opened through a code, in this "
                                  "exhibition")
    language: Language | None = None
    tz: str | None = Field(default=None, json_schema_extra={"default": DEFAULT_TIMEZONE})

    @field_validator("from_", "to")
    @classmethod
    def _iso_date(cls, value: str | None, info: ValidationInfo) -> str | None:
        name = "from" if info.field_name == "from_" else info.field_name
        try:
            dt.date.fromisoformat(value or "")
        except ValueError:
            raise refusal(f"{name} must be a date like 2026-05-18") from None
        return value

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        try:
            ZoneInfo(value or "")
        except (ZoneInfoNotFoundError, ValueError):
            raise refusal(f"unknown timezone {value!r}") from None
        return value


class TimeseriesQuery(AnalyticsQuery):
    interval: str = Field(default="day", json_schema_extra={"enum": list(INTERVALS)})

    @field_validator("interval")
    @classmethod
    def _known_interval(cls, value: str) -> str:
        if value not in INTERVALS:
            raise refusal("interval must be hour, day or week")
        return value


BY_DESCRIPTION = ("hour: venue hour 0-23; weekday_hour: \"1-09\" is Monday 09:00, \"7-23\" "
                  "Sunday 23:00; code: per placement, keyed by the printed code (as "
                  "/codes/{code} takes it), labelled with the code's placement label (may be "
                  "empty); item: keyed by item id, labelled with its title")


class BreakdownQuery(AnalyticsQuery):
    by: str = Field(default="item", json_schema_extra={"enum": list(BREAKDOWNS)},
                    description=BY_DESCRIPTION)

    @field_validator("by")
    @classmethod
    def _known_breakdown(cls, value: str) -> str:
        if value not in BREAKDOWNS:
            raise refusal("by must be one of " + ", ".join(BREAKDOWNS))
        return value


class ExportQuery(AnalyticsQuery):
    # interval and by are read only by the view that uses them, as they always were.
    view: str = Field(default="summary",
                      json_schema_extra={"enum": list(EXPORT_VIEWS)})
    interval: str = Field(default="day", json_schema_extra={"enum": list(INTERVALS)},
                          description="with view=timeseries")
    by: str = Field(default="item", json_schema_extra={"enum": list(BREAKDOWNS)},
                    description="with view=breakdown")

    @field_validator("view")
    @classmethod
    def _known_view(cls, value: str) -> str:
        if value not in EXPORT_VIEWS:
            raise refusal("view must be " + ", ".join(EXPORT_VIEWS[:-1]) + " or "
                          + EXPORT_VIEWS[-1])
        return value


def parse_filters(args: Mapping[str, str] | AnalyticsQuery, *,
                  timezone: str = DEFAULT_TIMEZONE, today: dt.date | None = None) -> Filters:
    query = args if isinstance(args, AnalyticsQuery) else parse_query(AnalyticsQuery, args)
    zone = ZoneInfo(query.tz or timezone)
    today = today or dt.datetime.now(zone).date()
    first = _date(query.from_) or today - dt.timedelta(days=6)
    last = _date(query.to) or today
    if last < first:
        raise Invalid("to must not be before from", field="to")
    if (last - first).days > 3660:
        raise Invalid("the range is longer than ten years", field="from")
    start = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    return Filters(start=start, end=end, zone=zone, item_id=query.item_id, code=query.code,
                   language=query.language, exhibition_id=query.exhibition_id)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _code_id(session: Session, filters: Filters) -> int | None:
    """The id of the filtered code; -1 (matching nothing) for an unknown code."""
    if not filters.code:
        return None
    return session.scalar(select(Code.id).where(Code.code == filters.code)) or -1


def _plan(session: Session, filters: Filters) -> Plan:
    tune_for_aggregates(session)
    return Plan.make(session, filters)


def _totals(session: Session, filters: Filters) -> dict:
    plan, code_id = _plan(session, filters), _code_id(session, filters)
    scans, views, visitors = human_figures(session, plan, filters, code_id, None,
                                           scans_only=False).get(0, (0, 0, 0))
    bots, orphans = scans_apart(session, plan, filters, code_id)
    counted, watch_s = engagement(session, plan, filters, code_id)
    plays, completions = counted["plays"], counted["completions"]
    pages = scans + views
    return {
        "scans": scans, "visitors": visitors, "bot_scans": bots, "orphan_scans": orphans,
        "views": views,
        "plays": plays, "halfway": counted["halfway"], "completions": completions,
        "play_rate": round(plays / pages, 4) if pages else None,
        "completion_rate": round(completions / plays, 4) if plays else None,
        "median_watch_s": round(watch_s, 1) if watch_s is not None else None,
        "bot_share": round(bots / (scans + bots), 4) if scans + bots else None,
    }


def summary(session: Session, filters: Filters) -> dict:
    # The two periods cost the same and share nothing: they are read at once.
    periods = read_together(session, {"current": lambda own: _totals(own, filters),
                                      "previous": lambda own: _totals(own, filters.previous())})
    return {**periods["current"], "previous": periods["previous"]}


def read_together(session: Session, reads: dict[str, Callable[[Session], T]],
                  *, at_once: int = 2) -> dict[str, T]:
    """{name: read(a session)} for reads that share nothing, run `at_once` at a time.

    Each read runs on its own connection of the engine, in a thread, so the database works
    on several at once, a core each: PostgreSQL in its own processes, SQLite (a file in WAL
    mode, which readers never wait on) in ours, as Python's sqlite3 lets other threads run
    while a statement steps. On PostgreSQL every statement has its own snapshot anyway
    (READ COMMITTED), so separate transactions weaken nothing. A memory database is one per
    connection, so it reads in turn on `session`. Results keep the order of `reads`.
    """
    bind = session.get_bind()
    if len(reads) < 2 or not has_shared_connections(bind):
        return {name: read(session) for name, read in reads.items()}

    def apart(read: Callable[[Session], T]) -> T:
        with Session(bind) as own:
            return read(own)

    with ThreadPoolExecutor(max_workers=at_once) as pool:
        futures = {name: pool.submit(apart, read) for name, read in reads.items()}
        return {name: future.result() for name, future in futures.items()}


def _bucket(moment: dt.datetime, interval: str, zone: ZoneInfo) -> dt.datetime:
    local = moment.astimezone(zone)
    if interval == "hour":
        local = local.replace(minute=0, second=0, microsecond=0)
    else:
        local = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if interval == "week":
            local -= dt.timedelta(days=local.weekday())
    return local.replace(tzinfo=None)


# Venue hours since 1970 -> the bucket's number, and the bucket's number -> its start.
_BUCKET_KEYS = {"hour": lambda h: h, "day": lambda h: h // 24,
                "week": lambda h: (h // 24 + EPOCH_WEEKDAY) // 7}
_BUCKET_STARTS = {"hour": lambda n: EPOCH + dt.timedelta(hours=n),
                  "day": lambda n: EPOCH + dt.timedelta(days=n),
                  "week": lambda n: EPOCH + dt.timedelta(days=7 * n - EPOCH_WEEKDAY)}
EPOCH = dt.datetime(1970, 1, 1)


def _figures(session: Session, filters: Filters, key, *, by: str | None = None) -> dict:
    """{key: (human scans, distinct human visitors)} for a grouping of scans; `by` names
    the grouping's column, or its kind when it is by the venue hour ("hour" or "day", see
    analytics_sources.TIME_GROUPINGS)."""
    plan, code_id = _plan(session, filters), _code_id(session, filters)
    figures = human_figures(session, plan, filters, code_id, key, scans_only=True, by=by)
    return {name: (scans, visitors) for name, (scans, _views, visitors) in figures.items()}


def _buckets(filters: Filters, interval: str) -> list[dt.datetime]:
    """Every bucket of the range, empty ones too, so charts have no gaps."""
    moments, moment = [], _bucket(filters.start, interval, filters.zone)
    last = _bucket(filters.end - dt.timedelta(microseconds=1), interval, filters.zone)
    step = {"hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1),
            "week": dt.timedelta(weeks=1)}[interval]
    while moment <= last:
        moments.append(moment)
        moment += step
    return moments


def _bucket_key(interval: str):
    to_key = _BUCKET_KEYS[interval]
    return lambda source: to_key(source.local_hour)


def timeseries(session: Session, filters: Filters, interval: str) -> list[dict]:
    if interval not in INTERVALS:
        raise Invalid("interval must be hour, day or week", field="interval")
    start_of = _BUCKET_STARTS[interval]
    figures = {start_of(number): counts for number, counts in
               _figures(session, filters, _bucket_key(interval),
                        by="hour" if interval == "hour" else "day").items()}
    return [{"t": moment.isoformat(), "scans": scans, "visitors": visitors}
            for moment in _buckets(filters, interval)
            for scans, visitors in [figures.get(moment, (0, 0))]]


def scan_series(session: Session, filters: Filters, interval: str, by: str,
                keys: list) -> dict[object, list[int]]:
    """Scans over time of each of `keys` (item ids or printed codes, as the breakdown keys
    them), in one query: sparklines."""
    if interval not in INTERVALS or by not in ("item", "code"):
        raise ValueError(f"no scan series by {by} per {interval}")
    if not keys:
        return {}
    start_of = _BUCKET_STARTS[interval]
    printed = _printed_codes(session, codes=keys) if by == "code" else {}
    within = list(printed) if by == "code" else keys
    counts = {(printed.get(key, key), start_of(number)): scans
              for (key, number), scans in _scans(
                  session, filters, [_breakdown_key(by), _bucket_key(interval)],
                  within=(BREAKDOWNS[by], within), hour_rows=HOUR_ROWS[by]).items()}
    moments = _buckets(filters, interval)
    return {key: [counts.get((key, moment), 0) for moment in moments] for key in keys}


def scans_by(session: Session, filters: Filters, by: str) -> dict[object, int]:
    """{key: human scans} for a breakdown, without its visitors: cheaper where only scans
    are shown (the hour-of-day chart, the heatmap)."""
    if by not in BREAKDOWNS:
        raise Invalid("by must be one of " + ", ".join(BREAKDOWNS), field="by")
    scans = {key: scans for (key,), scans in _scans(
        session, filters, [_breakdown_key(by)], hour_rows=HOUR_ROWS.get(by)).items()}
    if by == "code":
        printed = _printed_codes(session, ids=list(scans))
        scans = {printed[code_id]: count for code_id, count in scans.items()}
    return scans


def _scans(session: Session, filters: Filters, keys: list, within=None, *,
           hour_rows) -> dict:
    plan, code_id = _plan(session, filters), _code_id(session, filters)
    return human_scans(session, plan, filters, code_id, keys, within=within,
                       hour_rows=hour_rows)


def _breakdown_key(by: str):
    if by == "hour":
        return lambda source: source.local_hour % 24
    if by == "weekday_hour":  # Monday 00:00 is 0, Sunday 23:00 is 167
        return lambda source: ((source.local_hour // 24 + EPOCH_WEEKDAY) % 7) * 24 \
            + source.local_hour % 24
    return lambda source: source.column(BREAKDOWNS[by])


def breakdown(session: Session, filters: Filters, by: str) -> list[dict]:
    if by not in BREAKDOWNS:
        raise Invalid("by must be one of " + ", ".join(BREAKDOWNS), field="by")
    # hour and weekday_hour tell the hours of a UTC day apart
    figures = _figures(session, filters, _breakdown_key(by), by=BREAKDOWNS[by] or "hour")
    if by == "weekday_hour":
        figures = {f"{number // 24 + 1}-{number % 24:02d}": counts
                   for number, counts in figures.items()}
    if by == "code":
        # A code is addressed by its printed code all through the API, never by its row id.
        printed = _printed_codes(session, ids=list(figures))
        figures = {printed[code_id]: counts for code_id, counts in figures.items()}
    labels = _labels(session, by, list(figures))
    return [{"key": key, "label": labels.get(key, key), "scans": scans, "visitors": visitors}
            for key, (scans, visitors) in sorted(figures.items(),
                                                 key=lambda kv: (-kv[1][0], str(kv[0])))]


def _labels(session: Session, by: str, keys: list) -> dict:
    if by == "item" and keys:
        return {item_id: first_present(title) or str(item_id)
                for item_id, title in session.execute(
                    select(Item.id, Item.title).where(Item.id.in_(keys)))}
    if by == "code" and keys:  # the placement's label, as /api/v1/codes/<code> says it
        return {code: label for code, label in session.execute(
            select(Code.code, Code.label).where(Code.code.in_(keys)))}
    return {}


def _printed_codes(session: Session, *, ids: list | None = None,
                   codes: list | None = None) -> dict[int, str]:
    """{code id: printed code} of the codes with these ids, or with these printed codes."""
    if not ids and not codes:
        return {}
    where = Code.id.in_(ids) if ids else Code.code.in_(codes)
    return {code_id: code for code_id, code in session.execute(
        select(Code.id, Code.code).where(where))}



def languages(session: Session, filters: Filters) -> list[dict]:
    """Pages served (human scans and views) per language asked for and language served,
    most first: where visitors were served a fallback. `asked` is None for a visitor who
    asked for no language (the item's default was served)."""
    plan, code_id = _plan(session, filters), _code_id(session, filters)
    figures = languages_asked(session, plan, filters, code_id)
    return [{"asked": asked, "served": served, "scans": scans, "views": views,
             "is_fallback": is_fallback(asked, served)}
            for (asked, served), (scans, views) in sorted(
                figures.items(), key=lambda kv: (-sum(kv[1]), kv[0][0] or "", kv[0][1]))]


def is_fallback(asked: str | None, served: str) -> bool:
    """Whether a visitor who asked for `asked` was served another language: a different
    language, or the same one in another script (zh-TW is read in traditional characters,
    zh in simplified; en-GB reads en)."""
    return asked is not None and _reads_as(asked) != _reads_as(served)


@functools.cache
def _reads_as(tag: str) -> tuple[str, str]:
    """A tag's language and script, the script from CLDR's likely subtags when it names
    none: zh-TW is ("zh", "Hant"), zh-CN and zh ("zh", "Hans"), pt-BR ("pt", "Latn")."""
    language, *rest = tag.replace("-", "_").split("_")
    language = language.lower()
    script = next((part.title() for part in rest if len(part) == 4), "")
    if not script:
        region = next((part.upper() for part in rest if len(part) in (2, 3)), "")
        likely: Mapping[str, str] = get_global("likely_subtags")
        full = likely.get(f"{language}_{region}") or likely.get(language) or ""
        script = next((part for part in full.split("_")[1:] if len(part) == 4), "")
    return language, script
