"""The exhibitions the API answers, as models: served and documented from the same classes."""

from __future__ import annotations


from pydantic import Field

from motpub.codes.representations import Code
from motpub.coverage.representations import TranslationStatus
from motpub.web.representations import Day, Localized, Representation, Timestamp, Url


class Exhibition(Representation):
    id: int
    slug: str
    title: Localized
    intro: Localized
    venue: str
    timezone: str
    starts_on: Day | None
    ends_on: Day | None
    item_ids: list[int]
    codes: list[Code]
    page_url: Url
    created_at: Timestamp
    updated_at: Timestamp
    translation_status: TranslationStatus
    orphaned_languages: list[str] = Field(
        description="languages no longer configured that the exhibition still has text in")


class ExhibitionList(Representation):
    exhibitions: list[Exhibition]
