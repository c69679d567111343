"""The items the API answers, as models: served and documented from the same classes."""

from __future__ import annotations

from pydantic import Field

from motpub.items.models import ItemStatus
from motpub.coverage.representations import TranslationStatus
from motpub.web.representations import (LANGUAGE_FIELD, Localized, Representation, Timestamp,
                                        Url, one_of)


class ItemLink(Representation):
    url: Url
    title: Localized


class Item(Representation):
    id: int
    slug: str
    status: str = one_of(*(status.value for status in ItemStatus))
    default_language: str = LANGUAGE_FIELD
    title: Localized
    summary: Localized
    body: Localized
    links: list[ItemLink]
    gtin: str | None = Field(description="14 digits")
    digital_link: Url | None = Field(description="the GS1 Digital Link URI of the GTIN")
    revision: int
    page_url: Url
    created_at: Timestamp
    updated_at: Timestamp
    published_at: Timestamp | None
    translation_status: TranslationStatus
    orphaned_languages: list[str] = Field(
        description="languages no longer configured that the item still has text in: kept, "
                    "shown to editors, never to visitors")


class ItemList(Representation):
    items: list[Item]
    total: int


class ItemStats(Representation):
    item_id: int
    scans: int
    orphan_scans: int
