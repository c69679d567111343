"""Hourly rollups of the raw scan, view and engagement rows, so figures stay fast as data grows.

`hour` is the UTC hour as a whole number of hours since 1970-01-01 00:00 UTC: integer
arithmetic buckets it into venue hours, days and weeks the same way on SQLite and PostgreSQL.
Rollups are rebuilt an hour at a time (delete, then insert from the raw rows), so a row is
never updated in place and needs no unique key beyond its id.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from motpub.orm import Base, utcnow

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
                      Index("ix_visit_rollup_code_id_hour", "code_id", "hour"),
                      # bot scans and orphan scans are read alone, and are few
                      Index("ix_visit_rollup_is_bot_hour", "is_bot", "hour"),
                      Index("ix_visit_rollup_is_orphan_hour", "is_orphan", "hour"))

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    is_bot: Mapped[bool] = mapped_column()
    # The language asked for, next to the one served (`language`): where fallbacks happen.
    # Only here: visitors and the daily rows are not kept per asked language.
    asked_language: Mapped[str | None] = mapped_column(String(8))
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


class _DayFilter:
    """The dashboard's language and exhibition filters on the rollups of whole days: each
    day is rolled up once for all rows (`language` "" and `exhibition_id` None) and once
    per language, exhibition, and language and exhibition that it has rows of, because
    visitors and page sessions do not add up across languages or exhibitions."""

    language: Mapped[str] = mapped_column(String(8), default="", server_default="")
    exhibition_id: Mapped[int | None] = mapped_column(Integer)


class DailyVisitorRollup(_DayFilter, Base):
    """Human scans, views and unique visitors per item and whole UTC day, for long ranges:
    in all (`dimension` ""), and per value of a dimension (`dimension` "device_class",
    "os", "browser", "in_app", "country", "language" or "code_id"; a view has code "").

    A visitor hash is salted per UTC day and item, so the visitors of one value add up
    exactly over whole days and items, with no hashes to tell apart. A visitor who scanned
    in two languages is in the rows of both, as a breakdown by language counts them. Built
    from VisitorRollup once all 24 hours of a day are rolled up. `day` counts UTC days
    since 1970. `visitors` are of scans and views alike, `scan_visitors` of scans only.
    """

    __tablename__ = "daily_visitor_rollup"
    __table_args__ = (Index("ix_daily_visitor_rollup_dimension_language_exhibition_id_day",
                            "dimension", "language", "exhibition_id", "day"),
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
    # Scans by bots, and scans of codes that led nowhere: in the rows of `dimension` "" and
    # "code_id".
    bot_scans: Mapped[int] = mapped_column(Integer, default=0)
    orphan_scans: Mapped[int] = mapped_column(Integer, default=0)


class ItemHourRollup(_DayFilter, Base):
    """Human scans and scan visitors per item and UTC hour of a whole UTC day, for time
    series, hour charts and items' sparklines over long ranges.

    `visitors` are the distinct visitors of the hour: a visitor hash is of one UTC day, so
    they add up over hours that no UTC day has two of (hours of the day, weekday-hours).
    For days and weeks, `first_visitors` and `last_visitors` count the visitors whose first
    and last scan of the UTC day fall in this hour: a venue day cuts a UTC day at most
    once, so the visitors of the part before the cut are the firsts of its hours, and those
    of the part after it the lasts. Built with DailyVisitorRollup.
    """

    __tablename__ = "item_hour_rollup"
    __table_args__ = (Index("ix_item_hour_rollup_language_exhibition_id_hour", "language",
                            "exhibition_id", "hour"),
                      Index("ix_item_hour_rollup_item_id_hour", "item_id", "hour"))

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    hour: Mapped[int] = mapped_column(Integer)
    # None for scans of an exhibition's entrance code, as on the raw row
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    scans: Mapped[int] = mapped_column(Integer)
    visitors: Mapped[int] = mapped_column(Integer)
    first_visitors: Mapped[int] = mapped_column(Integer)
    last_visitors: Mapped[int] = mapped_column(Integer)


class CodeHourRollup(_DayFilter, Base):
    """Human scans of pages served, per code and UTC hour of a whole UTC day: the scans of
    placements over long ranges (their sparklines), with no rows per visitor or dimension
    to add up. Built with DailyVisitorRollup."""

    __tablename__ = "code_hour_rollup"
    __table_args__ = (Index("ix_code_hour_rollup_code_id_hour", "code_id", "hour"),
                      Index("ix_code_hour_rollup_item_id_hour", "item_id", "hour"))

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    hour: Mapped[int] = mapped_column(Integer)
    code_id: Mapped[int] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"))
    # None for scans of an exhibition's entrance code, as on the raw row
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    scans: Mapped[int] = mapped_column(Integer)


class EngagementRollup(Base):
    """What each page session did in a UTC hour: plays, completions and halfway points are
    counted per page session (a replay is not a second play), so one row per (hour, page
    session) with flags and the largest watch time it reported, not a sum of beacons."""

    __tablename__ = "engagement_rollup"
    __table_args__ = (Index("ix_engagement_rollup_hour", "hour"),
                      Index("ix_engagement_rollup_item_id_hour", "item_id", "hour"),
                      # the other hours of a page session, for the daily rows
                      Index("ix_engagement_rollup_page_session", "page_session"))

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


class DailyEngagementRollup(_DayFilter, Base):
    """Page sessions per whole UTC day, for long ranges, counted per watch time.

    Most page sessions begin and end in one UTC day. Those are counted per day, item and
    watch time (a session's largest), and per day and watch time over all items
    (`item_id` None): how many sessions, plays, halfway points and completions. Such
    counts add up over days, and the sessions per watch time give the median exactly. A
    session with rows on another day too (a page open across a UTC midnight) has a row of
    its own per day and item instead (`page_session` set), so it is counted once over the
    days. Built with DailyVisitorRollup; when a later hour brings a session of a day
    already built, that day is built again.
    """

    __tablename__ = "daily_engagement_rollup"
    __table_args__ = (Index("ix_daily_engagement_rollup_item_id_language_exhibition_id_day",
                            "item_id", "language", "exhibition_id", "day"),
                      # the few rows of single page sessions, apart from the counted ones
                      Index("ix_daily_engagement_rollup_session_day", "day",
                            postgresql_where=text("page_session IS NOT NULL"),
                            sqlite_where=text("page_session IS NOT NULL")))

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    day: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    page_session: Mapped[str | None] = mapped_column(String(32))
    watch_s: Mapped[float | None] = mapped_column(Float)
    sessions: Mapped[int] = mapped_column(Integer)
    plays: Mapped[int] = mapped_column(Integer)
    halfway: Mapped[int] = mapped_column(Integer)
    completions: Mapped[int] = mapped_column(Integer)


class RollupWatermark(Base):
    """Every UTC hour before `hour` is rolled up; raw rows from `hour` on are the tail.
    Named "visits" for the hourly rollups, "days" for the rollups of whole UTC days."""

    __tablename__ = "rollup_watermark"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    hour: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
