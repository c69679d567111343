"""Where analytics figures are read from, for one period: the hourly rollups for the hours
they cover, the daily ones for whole UTC days, and the raw rows for the tail after the
watermark (a Plan), each as a Source with its filters and its venue-hour expression.

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

from sqlalchemy import String, and_, case, literal, null, or_, type_coerce
from sqlalchemy.orm import Session

from motpub.analytics.models.engagement import Engagement
from motpub.analytics.models.scan import Scan, View
from motpub.analytics.services.rollups import (
    DAYS_WATERMARK, hour_of, moment_of, watermark)
from motpub.database import epoch_seconds

EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday; Monday is 0


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


def venue_hours(seconds, stretches: list[tuple[int, int]], unit: int):
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
    """Which hours come from hourly rollups, which whole days from rollups of days, and
    where the raw tail starts, for one period."""

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
        rolled = min(last, watermark(session) or 0) if whole else first
        tail = max(filters.start, moment_of(rolled)) if rolled > first else filters.start
        return cls(session.get_bind().dialect.name, stretches, first, max(rolled, first),
                   tail, filters.end, (watermark(session, DAYS_WATERMARK) or 0) // 24)

    def whole_days(self, filters, code_id, *, per_code: bool = False
                   ) -> tuple[int, int] | None:
        """The UTC days first <= day < end inside the rolled-up hours whose rows of whole
        days are built, which those rows can stand for: they are kept per item, language
        and exhibition, and per code only as a dimension of the daily visitor rows, so a
        code filter can use them only for figures those rows hold (`per_code`)."""
        if code_id is not None and not per_code:
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
        where += narrowing(model, filters)
        if hasattr(model, "code_id") and code_id is not None:
            where.append(model.code_id == code_id)
        return Source(model, venue_hours(model.hour, self.stretches, 3600), where)

    def hour_rows(self, model, filters, days: tuple[int, int]) -> Source:
        """The item or code hour rows of whole UTC days (first, end)."""
        return Source(model, venue_hours(model.hour, self.stretches, 3600),
                      [model.hour >= days[0] * 24, model.hour < days[1] * 24,
                       *day_narrowing(model, filters)])

    def raw(self, model, moment, filters, code_id) -> Source | None:
        if model is View and code_id is not None:
            return None  # a view is not through any code
        where = [moment >= self.tail_start, moment < self.end, *narrowing(model, filters)]
        if model in (Scan, Engagement) and code_id is not None:
            where.append(model.code_id == code_id)
        seconds = epoch_seconds(moment, self.dialect)
        return Source(model, venue_hours(seconds, self.stretches, 1), where)


def narrowing(model, filters) -> list:
    """The conditions of the item, language and exhibition filters on `model`'s rows."""
    where = []
    if filters.item_id is not None:
        where.append(model.item_id == filters.item_id)
    if filters.language:
        where.append(model.language == filters.language)
    if filters.exhibition_id is not None and hasattr(model, "exhibition_id"):
        where.append(model.exhibition_id == filters.exhibition_id)
    return where


def day_narrowing(model, filters) -> list:
    """The item filter on rows of whole days, and the rows kept for the language and
    exhibition filters ("" and NULL: kept for all rows)."""
    exhibition = model.exhibition_id
    where = [model.language == (filters.language or ""),
             exhibition.is_(None) if filters.exhibition_id is None
             else exhibition == filters.exhibition_id]
    if filters.item_id is not None:
        where.append(model.item_id == filters.item_id)
    return where
