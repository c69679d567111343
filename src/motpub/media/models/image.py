from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from motpub.media.models.video import VideoStatus
from motpub.orm import Base, Localized, utcnow

if TYPE_CHECKING:
    from motpub.exhibitions.models import Exhibition
    from motpub.items.models import Item

# An image goes through the same states as a video: uploading, queued, processing, ready,
# failed.
ImageStatus = VideoStatus


class Image(Base):
    """A picture of an item (its hero, the first, then its gallery) or of an exhibition (its
    cover, the first), uploaded in parts like a video, and what the worker made of it.

    The database keeps object keys, never URLs. `version` names the set of derivatives in
    use (`images/<id>/<version>/...`): processing again writes a new version and switches
    to it only when every object of it is in place. Nothing served keeps the upload's
    metadata: EXIF, GPS, XMP and maker notes stay in `source_key`, which is never served.
    """

    __tablename__ = "image"
    __table_args__ = (
        CheckConstraint("(item_id IS NULL) <> (exhibition_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("item.id", ondelete="CASCADE"), index=True)
    exhibition_id: Mapped[int | None] = mapped_column(
        ForeignKey("exhibition.id", ondelete="CASCADE"), index=True)
    # The order in the gallery, from 0: the first is the item's hero or exhibition's cover.
    position: Mapped[int] = mapped_column(default=0)
    status: Mapped[ImageStatus] = mapped_column(default=ImageStatus.UPLOADING)
    # The upload, as for videos: the file as sent, kept private.
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    source_key: Mapped[str] = mapped_column(String(500))
    upload_id: Mapped[str | None] = mapped_column(String(500))
    part_size_bytes: Mapped[int] = mapped_column(BigInteger)
    # Why processing failed, for the editor: a message id and its arguments.
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_args: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The picture as shown, after its orientation is applied.
    width: Mapped[int | None]
    height: Mapped[int | None]
    version: Mapped[str | None] = mapped_column(String(64))
    # [{"width", "height", "format": "avif"|"webp"|"jpeg", "key", "bytes"}], by format then
    # width: every derivative of the version in use.
    derivatives: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # A tiny picture inlined in the page (a data: URI of a few hundred bytes) and the
    # picture's average colour (#rrggbb), shown while the derivative loads.
    placeholder: Mapped[str | None] = mapped_column(Text)
    color: Mapped[str | None] = mapped_column(String(7))
    # The Deep Zoom descriptor (.dzi) of the tiles, for pictures larger than the phone
    # can show (long side above 4,000 px); None for smaller ones.
    tiles_key: Mapped[str | None] = mapped_column(String(500))
    alt: Mapped[dict[str, str]] = mapped_column(Localized(), default=dict)
    caption: Mapped[dict[str, str]] = mapped_column(Localized(), default=dict)
    # Photographer, licence: one text, shown as it is written.
    credit: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    item: Mapped[Item | None] = relationship(back_populates="images")
    exhibition: Mapped[Exhibition | None] = relationship(back_populates="images")

    @property
    def is_ready(self) -> bool:
        return self.status is ImageStatus.READY
