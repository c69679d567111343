from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from motpub.orm import Base, Localized, utcnow
from motpub.i18n import fallback_language

if TYPE_CHECKING:
    from motpub.codes.models.code import Code
    from motpub.media.models.image import Image
    from motpub.media.models.video import Video

SLUG_MAX_LENGTH = 80
# A GTIN is stored in its 14-digit form: GTIN-8, -12 and -13 are padded with leading zeros.
GTIN_LENGTH = 14


class ItemStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Item(Base):
    """A physical thing with content in the content languages: the unit a code opens.

    Which languages those are is the deployment's, so the schema does not list them: the
    input models check `default_language` against the configured list.
    """

    __tablename__ = "item"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH), unique=True)
    status: Mapped[ItemStatus] = mapped_column(default=ItemStatus.DRAFT)
    default_language: Mapped[str] = mapped_column(String(8), default=fallback_language)
    # The trade item number a GS1 Digital Link resolves to this item; unique when set.
    gtin: Mapped[str | None] = mapped_column(String(GTIN_LENGTH), unique=True)
    title: Mapped[dict[str, str]] = mapped_column(Localized(), default=dict)
    summary: Mapped[dict[str, str]] = mapped_column(Localized(), default=dict)
    body: Mapped[dict[str, str]] = mapped_column(Localized(), default=dict)
    # [{"url": ..., "title": {<language>: ...}}], in display order.
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Bumped on every change, so cached pages know they are stale.
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[dt.datetime | None]

    codes: Mapped[list[Code]] = relationship(back_populates="item", order_by="Code.id")
    videos: Mapped[list[Video]] = relationship(back_populates="item", order_by="Video.id",
                                               passive_deletes=True)
    # The hero first, then the gallery.
    images: Mapped[list[Image]] = relationship(
        back_populates="item", order_by="(Image.position, Image.id)", passive_deletes=True)

    @property
    def is_published(self) -> bool:
        return self.status is ItemStatus.PUBLISHED

    def touch(self) -> None:
        self.revision = (self.revision or 0) + 1
        self.updated_at = utcnow()

