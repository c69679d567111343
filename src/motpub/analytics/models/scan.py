from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from motpub.i18n import LanguageSource
from motpub.orm import Base, enum_by_value, utcnow


class DeviceClass(enum.StrEnum):
    MOBILE = "mobile"
    TABLET = "tablet"
    DESKTOP = "desktop"
    BOT = "bot"
    OTHER = "other"


class Visit:
    """Who was served a page, as far as analytics may know: classes, never the raw IP or
    user agent. `visitor_hash` is a hash of the day's salt, the item, the IP and the user
    agent; the salt is deleted after two days, so the hash cannot be traced back."""

    language: Mapped[str] = mapped_column(String(8))
    # The language the visitor asked for (?lang=, the cookie, else the first tag of
    # Accept-Language) as a BCP 47 tag cut to language, script and region, configured or
    # not; None when none was asked. Never the raw header. `language` is what was served.
    asked_language: Mapped[str | None] = mapped_column(String(8))
    device_class: Mapped[DeviceClass] = mapped_column(default=DeviceClass.OTHER)
    os: Mapped[str] = mapped_column(String(32), default="")
    browser: Mapped[str] = mapped_column(String(32), default="")
    in_app: Mapped[str] = mapped_column(String(32), default="")
    referrer_host: Mapped[str] = mapped_column(String(255), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    is_bot: Mapped[bool] = mapped_column(default=False)
    visitor_hash: Mapped[str] = mapped_column(String(32), default="")
    # No foreign key: analytics outlive the exhibitions they were recorded in.
    exhibition_id: Mapped[int | None] = mapped_column(Integer)

    @declared_attr
    def language_source(cls) -> Mapped[LanguageSource]:
        return mapped_column(enum_by_value(LanguageSource))


class Scan(Visit, Base):
    """A visitor opened an item's page through a printed code and was served it."""

    __tablename__ = "scan"
    __table_args__ = (Index("ix_scan_item_id_scanned_at", "item_id", "scanned_at"),
                      Index("ix_scan_code_id_scanned_at", "code_id", "scanned_at"),
                      Index("ix_scan_scanned_at", "scanned_at"))

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    code_id: Mapped[int] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"))
    # None for an exhibition's entrance code, which opens the exhibition's page.
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    scanned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The code led nowhere: it is disabled, or its item is not published. Counted apart.
    is_orphan: Mapped[bool] = mapped_column(default=False)


class View(Visit, Base):
    """A page served at an item's canonical address, /i/<slug>: not a scan."""

    __tablename__ = "view"
    __table_args__ = (Index("ix_view_item_id_viewed_at", "item_id", "viewed_at"),
                      Index("ix_view_viewed_at", "viewed_at"))

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    viewed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class VisitorSalt(Base):
    """The random salt of one UTC day; deleted after 48 hours."""

    __tablename__ = "visitor_salt"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
