"""The exhibitions the API answers, as models: served and documented from the same classes."""

from __future__ import annotations


from motpub.codes.representations import Code
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


class ExhibitionList(Representation):
    exhibitions: list[Exhibition]
