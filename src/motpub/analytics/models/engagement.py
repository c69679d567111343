from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from motpub.orm import Base, enum_by_value, utcnow


class EngagementKind(enum.StrEnum):
    VIDEO_START = "video_start"          # value: startup time, ms
    VIDEO_PROGRESS = "video_progress"    # value: 25, 50, 75 or 100 (percent)
    WATCH_TIME = "watch_time"            # value: seconds watched in this page session
    VIDEO_ERROR = "video_error"          # value: the media error code
    LANGUAGE_SWITCH = "language_switch"  # value: none
    READ_DEPTH = "read_depth"            # value: 25, 50, 75 or 100 (percent of the article)


class Engagement(Base):
    """What a visitor did on a page, sent by the page as a beacon.

    `page_session` is a random id that lives only in the page's memory: it ties the
    beacons of one page load together, and nothing else. No cookie is involved. A page
    opened by a scan reports the code it was opened through, so plays are counted per
    placement and exhibition as scans are.
    """

    __tablename__ = "engagement"
    __table_args__ = (Index("ix_engagement_item_id_created_at", "item_id", "created_at"),
                      Index("ix_engagement_created_at", "created_at"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"),
                                    primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    video_id: Mapped[int | None] = mapped_column(ForeignKey("video.id", ondelete="SET NULL"))
    # None for a page opened at its canonical address rather than through a code
    code_id: Mapped[int | None] = mapped_column(ForeignKey("code.id", ondelete="SET NULL"))
    # No foreign key: analytics outlive the exhibitions they were recorded in.
    exhibition_id: Mapped[int | None] = mapped_column(Integer)
    page_session: Mapped[str] = mapped_column(String(32))
    kind: Mapped[EngagementKind] = mapped_column(enum_by_value(EngagementKind, length=20))
    value: Mapped[float | None] = mapped_column(Float)
    language: Mapped[str] = mapped_column(String(8), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
