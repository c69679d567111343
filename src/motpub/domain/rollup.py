"""Hourly rollups of the raw scan, view and engagement rows, so figures stay fast as data grows.

`hour` is the UTC hour as a whole number of hours since 1970-01-01 00:00 UTC: integer
arithmetic buckets it into venue hours, days and weeks the same way on SQLite and PostgreSQL.
Rollups are rebuilt an hour at a time (delete, then insert from the raw rows), so a row is
never updated in place and needs no unique key beyond its id.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from motpub.domain.base import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")


class _Dimensions:
    """What a visit is broken down and filtered by. Items and codes cascade like the raw
    rows do; exhibitions are a plain number, as analytics outlive them."""

    hour: Mapped[int] = mapped_column(Integer)
    # None for a scan of an exhibition's entrance code, as on the raw row
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    code_id: Mapped[int | None] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"))
    exhibition_id: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8))
    device_class: Mapped[str] = mapped_column(String(16))
    os: Mapped[str] = mapped_column(String(32))
    browser: Mapped[str] = mapped_column(String(32))
    in_app: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(2))


class VisitRollup(_Dimensions, Base):
    """Scans and views per UTC hour and combination of dimensions. A row counts either
    scans (code_id set) or views (code_id empty), never both."""

    __tablename__ = "visit_rollup"
    __table_args__ = (Index("ix_visit_rollup_hour", "hour"),
                      Index("ix_visit_rollup_item_id_hour", "item_id", "hour"),
                      Index("ix_visit_rollup_code_id", "code_id"),
                      # bot scans and orphan scans are read alone, and are few
                      Index("ix_visit_rollup_is_bot_hour", "is_bot", "hour"),
                      Index("ix_visit_rollup_is_orphan_hour", "is_orphan", "hour"))

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    is_bot: Mapped[bool] = mapped_column()
    # Scans of codes that led nowhere (disabled, or the item unpublished): never mixed into
    # the figures of pages served.
    is_orphan: Mapped[bool] = mapped_column(default=False)
    scans: Mapped[int] = mapped_column(Integer)
    views: Mapped[int] = mapped_column(Integer)


class VisitorRollup(_Dimensions, Base):
    """Human scans and views per UTC hour and visitor, for exact unique counts.

    Counts of visitors do not add up across hours or items (one visitor scanning twice is
    one), so this keeps one row per (hour, visitor hash, dimensions) with how many visits
    it stands for: human scans and views are its sums, unique visitors its distinct hashes,
    both in one pass. A visitor hash is salted per UTC day and item, and it fixes the
    device, OS, browser, in-app browser and country, so only language, code and exhibition
    add rows. Per hour, not per day, so ranges cut at a venue midnight that is not a UTC
    midnight stay exact. Bots have no row here (they are never visitors): their scans are
    in VisitRollup.
    """

    __tablename__ = "visitor_rollup"
    __table_args__ = (Index("ix_visitor_rollup_hour", "hour"),
                      Index("ix_visitor_rollup_item_id_hour", "item_id", "hour"),
                      Index("ix_visitor_rollup_code_id_hour", "code_id", "hour"))

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    is_scan: Mapped[bool] = mapped_column()  # scans, or else views
    visitor_hash: Mapped[str] = mapped_column(String(32))
    visits: Mapped[int] = mapped_column(Integer)


class DailyVisitorRollup(Base):
    """Human scans, views and unique visitors per item and whole UTC day, for long ranges:
    in all (`dimension` ""), and per value of each dimension a visitor hash fixes
    (`dimension` "device_class", "os", "browser", "in_app" or "country").

    A visitor hash is salted per UTC day and item, and stands for one device and address,
    so no visitor is in two rows of one dimension: the visitors of whole days add up
    exactly, with no hashes to tell apart. Built from VisitorRollup once all 24 hours of a
    day are rolled up. `day` counts UTC days since 1970. `visitors` are of scans and views
    alike, `scan_visitors` of scans only.
    """

    __tablename__ = "daily_visitor_rollup"
    __table_args__ = (Index("ix_daily_visitor_rollup_dimension_day", "dimension", "day"),
                      Index("ix_daily_visitor_rollup_item_id_day", "item_id", "day"))

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    day: Mapped[int] = mapped_column(Integer)
    # None for scans of an exhibition's entrance code, as on the raw row
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    dimension: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(32))
    scans: Mapped[int] = mapped_column(Integer)
    views: Mapped[int] = mapped_column(Integer)
    visitors: Mapped[int] = mapped_column(Integer)
    scan_visitors: Mapped[int] = mapped_column(Integer)


class EngagementRollup(Base):
    """What each page session did in a UTC hour: plays, completions and halfway points are
    counted per page session (a replay is not a second play), so one row per (hour, page
    session) with flags and the largest watch time it reported, not a sum of beacons."""

    __tablename__ = "engagement_rollup"
    __table_args__ = (Index("ix_engagement_rollup_hour", "hour"),
                      Index("ix_engagement_rollup_item_id_hour", "item_id", "hour"))

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    hour: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    code_id: Mapped[int | None] = mapped_column(ForeignKey("code.id", ondelete="SET NULL"))
    exhibition_id: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8))
    page_session: Mapped[str] = mapped_column(String(32))
    is_play: Mapped[bool] = mapped_column()
    is_halfway: Mapped[bool] = mapped_column()
    is_complete: Mapped[bool] = mapped_column()
    watch_s: Mapped[float | None] = mapped_column(Float)


class RollupWatermark(Base):
    """Every UTC hour before `hour` is rolled up; raw rows from `hour` on are the tail."""

    __tablename__ = "rollup_watermark"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    hour: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
