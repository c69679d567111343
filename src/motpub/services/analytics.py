"""Scan and engagement figures for ops: exact counts over a date range in the venue's zone.

Figures are computed from the raw scan, view and engagement rows, so they are exact.
Humans and bots are never mixed: every human figure excludes rows flagged as bots.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from motpub.domain import LANGUAGES, Code, Engagement, EngagementKind, Item, Scan, View
from motpub.services.errors import Invalid

DEFAULT_TIMEZONE = "Asia/Shanghai"
INTERVALS = ("hour", "day", "week")
BREAKDOWNS = {"item": "item_id", "code": "code_id", "language": "language",
              "device": "device_class", "os": "os", "browser": "browser", "in_app": "in_app",
              "country": "country", "hour": None}


@dataclass(frozen=True)
class Filters:
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime    # UTC, exclusive
    zone: ZoneInfo
    item_id: int | None = None
    code: str | None = None
    language: str | None = None

    def previous(self) -> Filters:
        """The period of the same length just before, for comparisons."""
        length = self.end - self.start
        return replace(self, start=self.start - length, end=self.start)


def parse_filters(args: Mapping[str, str], *, timezone: str = DEFAULT_TIMEZONE,
                  today: dt.date | None = None) -> Filters:
    try:
        zone = ZoneInfo(args.get("tz") or timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown timezone {args.get('tz')!r}", field="tz") from None
    today = today or dt.datetime.now(zone).date()
    first = _date(args.get("from"), "from") or today - dt.timedelta(days=6)
    last = _date(args.get("to"), "to") or today
    if last < first:
        raise Invalid("to must not be before from", field="to")
    if (last - first).days > 3660:
        raise Invalid("the range is longer than ten years", field="from")
    item_id = args.get("item_id")
    if item_id is not None and not str(item_id).isdigit():
        raise Invalid("item_id must be a whole number", field="item_id")
    language = args.get("language") or None
    if language not in (None, *LANGUAGES):
        raise Invalid('language must be "zh" or "en"', field="language")
    start = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    return Filters(start=start, end=end, zone=zone,
                   item_id=int(item_id) if item_id is not None else None,
                   code=args.get("code") or None, language=language)


def _date(value: str | None, field: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{field} must be a date like 2026-05-18", field=field) from None


def _visits(session: Session, model, filters: Filters) -> Iterator:
    moment = model.scanned_at if model is Scan else model.viewed_at
    columns = [moment.label("at"), model.item_id, model.language, model.device_class,
               model.os, model.browser, model.in_app, model.country, model.is_bot,
               model.visitor_hash]
    if model is Scan:
        columns.append(Scan.code_id)
    query = select(*columns).where(moment >= filters.start, moment < filters.end)
    if filters.item_id is not None:
        query = query.where(model.item_id == filters.item_id)
    if filters.language:
        query = query.where(model.language == filters.language)
    if filters.code:
        if model is not Scan:
            return iter(())
        query = query.join(Code, Code.id == Scan.code_id).where(Code.code == filters.code)
    return session.execute(query.execution_options(yield_per=5000))


def _engagements(session: Session, filters: Filters) -> list:
    query = select(Engagement.page_session, Engagement.kind, Engagement.value).where(
        Engagement.created_at >= filters.start, Engagement.created_at < filters.end)
    if filters.item_id is not None:
        query = query.where(Engagement.item_id == filters.item_id)
    if filters.language:
        query = query.where(Engagement.language == filters.language)
    return session.execute(query).all()


def _totals(session: Session, filters: Filters) -> dict:
    scans = bot_scans = views = 0
    visitors: set[str] = set()
    for row in _visits(session, Scan, filters):
        if row.is_bot:
            bot_scans += 1
        else:
            scans += 1
            visitors.add(row.visitor_hash)
    for row in _visits(session, View, filters):
        if not row.is_bot:
            views += 1
            visitors.add(row.visitor_hash)
    plays, completions, watch = set(), set(), defaultdict(float)
    if not filters.code:
        for page_session, kind, value in _engagements(session, filters):
            if kind is EngagementKind.VIDEO_START:
                plays.add(page_session)
            elif kind is EngagementKind.VIDEO_PROGRESS and value == 100:
                completions.add(page_session)
            elif kind is EngagementKind.WATCH_TIME and value is not None:
                # A page reports its running total; the largest is the session's watch time.
                watch[page_session] = max(watch[page_session], value)
    pages = scans + views
    return {
        "scans": scans, "visitors": len(visitors), "bot_scans": bot_scans, "views": views,
        "plays": len(plays), "completions": len(completions),
        "play_rate": round(len(plays) / pages, 4) if pages else None,
        "completion_rate": round(len(completions) / len(plays), 4) if plays else None,
        "median_watch_s": round(statistics.median(watch.values()), 1) if watch else None,
        "bot_share": round(bot_scans / (scans + bot_scans), 4) if scans + bot_scans else None,
    }


def summary(session: Session, filters: Filters) -> dict:
    current = _totals(session, filters)
    return {**current, "previous": _totals(session, filters.previous())}


def _bucket(moment: dt.datetime, interval: str, zone: ZoneInfo) -> dt.datetime:
    local = moment.astimezone(zone)
    if interval == "hour":
        local = local.replace(minute=0, second=0, microsecond=0)
    else:
        local = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if interval == "week":
            local -= dt.timedelta(days=local.weekday())
    return local.replace(tzinfo=None)


def timeseries(session: Session, filters: Filters, interval: str) -> list[dict]:
    if interval not in INTERVALS:
        raise Invalid("interval must be hour, day or week", field="interval")
    scans: Counter = Counter()
    visitors: dict = defaultdict(set)
    for row in _visits(session, Scan, filters):
        if not row.is_bot:
            key = _bucket(row.at, interval, filters.zone)
            scans[key] += 1
            visitors[key].add(row.visitor_hash)
    rows, moment = [], _bucket(filters.start, interval, filters.zone)
    last = _bucket(filters.end - dt.timedelta(microseconds=1), interval, filters.zone)
    step = {"hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1),
            "week": dt.timedelta(weeks=1)}[interval]
    while moment <= last:  # every bucket, empty ones too, so charts have no gaps
        rows.append({"t": moment.isoformat(), "scans": scans[moment],
                     "visitors": len(visitors[moment])})
        moment += step
    return rows


def breakdown(session: Session, filters: Filters, by: str) -> list[dict]:
    if by not in BREAKDOWNS:
        raise Invalid("by must be one of " + ", ".join(BREAKDOWNS), field="by")
    scans: Counter = Counter()
    visitors: dict = defaultdict(set)
    for row in _visits(session, Scan, filters):
        if row.is_bot:
            continue
        if by == "hour":
            key = row.at.astimezone(filters.zone).hour
        else:
            key = getattr(row, BREAKDOWNS[by])
            key = getattr(key, "value", key)
        scans[key] += 1
        visitors[key].add(row.visitor_hash)
    labels = _labels(session, by, list(scans))
    return [{"key": key, "label": labels.get(key, key), "scans": count,
             "visitors": len(visitors[key])}
            for key, count in sorted(scans.items(), key=lambda kv: (-kv[1], str(kv[0])))]


def _labels(session: Session, by: str, keys: list) -> dict:
    if by == "item" and keys:
        return {item_id: title.get("zh") or title.get("en") or str(item_id)
                for item_id, title in session.execute(
                    select(Item.id, Item.title).where(Item.id.in_(keys)))}
    if by == "code" and keys:
        return {code_id: f"{code} {label}".strip() for code_id, code, label in session.execute(
            select(Code.id, Code.code, Code.label).where(Code.id.in_(keys)))}
    return {}
