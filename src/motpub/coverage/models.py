from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from motpub.orm import Base, utcnow

# A SHA-256 in hex.
HASH_LENGTH = 64


class Subject(enum.StrEnum):
    """What a translated text belongs to."""

    ITEM = "item"
    EXHIBITION = "exhibition"


class TranslationBasis(Base):
    """What the text of one field in one language was translated from: the source language
    and a fingerprint of the source text when the translation was written or confirmed.
    The translation is stale once the source text no longer matches the fingerprint.

    One table for items and exhibitions, so no foreign key: the services delete the rows of
    an exhibition with it (items are never deleted).
    """

    __tablename__ = "translation_basis"
    __table_args__ = (
        UniqueConstraint("subject", "subject_id", "field", "language",
                         name="uq_translation_basis_subject_field_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[Subject]
    subject_id: Mapped[int]
    # The field's name in the API: title, summary, body, links; title, intro.
    field: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    source_language: Mapped[str] = mapped_column(String(8))
    source_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
