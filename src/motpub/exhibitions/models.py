from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from motpub.orm import Base, Localized, utcnow
from motpub.items.models import SLUG_MAX_LENGTH

if TYPE_CHECKING:
    from motpub.codes.models.code import Code
    from motpub.items.models import Item
    from motpub.media.models.image import Image

DEFAULT_TIMEZONE = "Asia/Shanghai"


class Exhibition(Base):
    """A show at a venue: an ordered selection of items, with its own entrance code."""

    __tablename__ = "exhibition"
    __table_args__ = (
        CheckConstraint("starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on",
                        name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH), unique=True)
    title: Mapped[dict[str, str]] = mapped_column(Localized(), default=dict)
    intro: Mapped[dict[str, str]] = mapped_column(Localized(), default=dict)
    venue: Mapped[str] = mapped_column(String(200), default="")
    # An IANA name; the service checks it against the zoneinfo database.
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    entries: Mapped[list[ExhibitionItem]] = relationship(
        back_populates="exhibition", cascade="all, delete-orphan",
        order_by="ExhibitionItem.position", passive_deletes=True)
    codes: Mapped[list[Code]] = relationship(back_populates="exhibition", order_by="Code.id",
                                             passive_deletes=True)
    # The cover first.
    images: Mapped[list[Image]] = relationship(
        back_populates="exhibition", order_by="(Image.position, Image.id)",
        passive_deletes=True)

    @property
    def items(self) -> list[Item]:
        return [entry.item for entry in self.entries]

    def touch(self) -> None:
        self.updated_at = utcnow()


class ExhibitionItem(Base):
    """An item's place in an exhibition; position 0 comes first."""

    __tablename__ = "exhibition_item"
    __table_args__ = (
        UniqueConstraint("exhibition_id", "position", name="uq_exhibition_item_position"),
        CheckConstraint("position >= 0", name="position"),
    )

    exhibition_id: Mapped[int] = mapped_column(
        ForeignKey("exhibition.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    position: Mapped[int]

    exhibition: Mapped[Exhibition] = relationship(back_populates="entries")
    item: Mapped[Item] = relationship()
