from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from motpub.domain.base import Base, UTCDateTime, enum_values, utcnow


class LanguageSource(enum.StrEnum):
    """How the language of a served page was chosen."""

    PARAM = "param"
    COOKIE = "cookie"
    HEADER = "header"
    DEFAULT = "default"


class Scan(Base):
    """A visitor opened an item's page through a printed code and was served it."""

    __tablename__ = "scan"
    __table_args__ = (Index("ix_scan_item_id_scanned_at", "item_id", "scanned_at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    code_id: Mapped[int] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    scanned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    language: Mapped[str] = mapped_column(String(8))
    language_source: Mapped[LanguageSource] = mapped_column(
        Enum(LanguageSource, name="language_source", values_callable=enum_values,
             native_enum=False, length=16)
    )
