from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from motpub.orm import Base, utcnow

if TYPE_CHECKING:
    from motpub.exhibitions.models import Exhibition
    from motpub.items.models import Item

# No look-alikes: 0/o, 1/l/i are left out, and codes are lower case only, so a code
# read aloud or typed from a label cannot be mistaken.
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 8


class Code(Base):
    """The short code printed as a QR on a label; it opens its item's page, or for an
    exhibition's entrance code the exhibition's page. Exactly one of the two is set."""

    __tablename__ = "code"
    __table_args__ = (
        CheckConstraint("(item_id IS NULL) <> (exhibition_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"),
                                                index=True)
    exhibition_id: Mapped[int | None] = mapped_column(
        ForeignKey("exhibition.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    is_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    item: Mapped[Item | None] = relationship(back_populates="codes")
    exhibition: Mapped[Exhibition | None] = relationship(back_populates="codes")


class CodeChange(Base):
    """A code's placement from `changed_at` on: what it opened, its label, whether it was
    enabled. Written when the code is issued and at every change, so a retargeted code's
    history is kept while the printed label stays the same."""

    __tablename__ = "code_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # No foreign keys: the history outlives the items it once led to.
    item_id: Mapped[int | None]
    exhibition_id: Mapped[int | None]
    label: Mapped[str] = mapped_column(String(200), default="")
    is_enabled: Mapped[bool]
