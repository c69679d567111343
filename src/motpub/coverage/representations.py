"""Translation status and coverage as the API answers them: served and documented from the
same classes."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, WithJsonSchema

from motpub.coverage.services.coverage import Completeness
from motpub.coverage.services.translations import Status
from motpub.web.representations import Localized, Representation, one_of

_STATUSES = [status.value for status in Status]
# {field: {language: "current" | "stale" | "missing"}}: whether each translation still
# matches the text it was made from. For editors only: visitors never see it.
TranslationStatus = Annotated[dict[str, dict[str, str]], WithJsonSchema({
    "type": "object",
    "description": "per field, per content language: current, stale (its source text "
                   "changed since it was written or confirmed) or missing",
    "additionalProperties": {"type": "object",
                             "additionalProperties": {"type": "string", "enum": _STATUSES}}})]


class LanguageCoverage(Representation):
    status: str = one_of(*(value.value for value in Completeness),
                         description="complete: nothing missing or stale; missing: no text "
                                     "in the language at all")
    missing: list[str] = Field(description="fields (title, summary, body, links; title, intro) "
                                           "and media (video, captions, audio_guide) missing "
                                           "in the language")
    stale: list[str] = Field(description="fields whose source text changed since their "
                                         "translation was written or confirmed")


class CoverageEntry(Representation):
    kind: str = one_of("item", "exhibition")
    id: int
    slug: str
    title: Localized
    languages: dict[str, LanguageCoverage] = Field(
        description="by content language: the one asked for, or every one")


class Coverage(Representation):
    languages: list[str]
    entries: list[CoverageEntry] = Field(description="exhibitions first, then items, newest "
                                                     "first")
    total: int
