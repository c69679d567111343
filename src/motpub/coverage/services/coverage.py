"""Coverage: per item and exhibition and per content language, which texts and media are
missing and which translations are stale."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from motpub.coverage.models import Subject
from motpub.coverage.services.media import missing_media
from motpub.coverage.services.translations import (
    Status, Translated, bases_of, subject_of, translation_status)
from motpub.errors import Invalid
from motpub.exhibitions.models import Exhibition, ExhibitionItem
from motpub.i18n import content_languages
from motpub.inputs import Language, QueryId, QueryInput
from motpub.items.models import Item
from motpub.media.models.video import Video

MAX_PAGE_SIZE = 500
MAX_OFFSET = 2**31 - 1


class Completeness(enum.StrEnum):
    COMPLETE = "complete"  # nothing missing, nothing stale
    PARTIAL = "partial"
    MISSING = "missing"  # no text at all in the language


class CoverageQuery(QueryInput):
    """Which languages and which items: all of them, or an exhibition's."""

    blank_is_absent = frozenset({"language", "exhibition"})
    language: Language | None = Field(
        default=None, description="one content language; all of them when absent")
    exhibition: QueryId | None = Field(
        default=None, description="only this exhibition and its items")
    limit: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


@dataclass(frozen=True)
class LanguageCoverage:
    status: Completeness
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Entry:
    """One item or exhibition and its coverage in each language asked for."""

    thing: Translated
    languages: dict[str, LanguageCoverage]

    @property
    def subject(self) -> Subject:
        return subject_of(self.thing)


@dataclass(frozen=True)
class CoveragePage:
    languages: tuple[str, ...]
    entries: list[Entry]
    total: int


def _coverage(status: dict[str, dict[str, str]], media: dict[str, list[str]],
              language: str) -> LanguageCoverage:
    missing = [name for name, by_language in status.items()
               if by_language[language] == Status.MISSING]
    stale = [name for name, by_language in status.items()
             if by_language[language] == Status.STALE]
    if len(missing) == len(status):
        completeness = Completeness.MISSING
    elif missing or stale or media.get(language):
        completeness = Completeness.PARTIAL
    else:
        completeness = Completeness.COMPLETE
    return LanguageCoverage(completeness, [*missing, *media.get(language, [])], stale)


def coverage_of(session: Session, things: Sequence[Translated],
                languages: Sequence[str] | None = None) -> list[Entry]:
    """The coverage of each of `things`, in `languages` (every content language when None).
    Items should come with their videos and captions loaded (see `items_with_media`)."""
    languages = tuple(languages or content_languages())
    bases = bases_of(session, things)
    entries = []
    for thing in things:
        status = translation_status(thing, bases.get((subject_of(thing), thing.id), {}))
        media = missing_media(thing) if isinstance(thing, Item) else {}
        entries.append(Entry(thing, {lang: _coverage(status, media, lang)
                                     for lang in languages}))
    return entries


def glance(session: Session, items: Sequence[Item]) -> dict[int, dict[str, str]]:
    """{item id: {language: "complete" | "partial" | "missing"}}: a list's row of tags."""
    loaded = items_with_media(session, [item.id for item in items])
    return {entry.thing.id: {lang: coverage.status.value
                             for lang, coverage in entry.languages.items()}
            for entry in coverage_of(session, loaded)}


def items_with_media(session: Session, item_ids: Sequence[int]) -> list[Item]:
    if not item_ids:
        return []
    found = {item.id: item for item in session.scalars(
        select(Item).where(Item.id.in_(item_ids))
        .options(selectinload(Item.videos).selectinload(Video.captions)))}
    return [found[item_id] for item_id in item_ids if item_id in found]


def list_coverage(session: Session, query: CoverageQuery) -> CoveragePage:
    """Exhibitions first, then items, newest first, paged together."""
    exhibitions = select(Exhibition).order_by(Exhibition.id.desc())
    items = select(Item.id).order_by(Item.id.desc())
    if query.exhibition is not None:
        if session.get(Exhibition, query.exhibition) is None:
            raise Invalid(f"no exhibition with id {query.exhibition}", field="exhibition")
        exhibitions = exhibitions.where(Exhibition.id == query.exhibition)
        items = items.join(ExhibitionItem, ExhibitionItem.item_id == Item.id).where(
            ExhibitionItem.exhibition_id == query.exhibition)
    exhibition_count = _count(session, exhibitions)
    total = exhibition_count + _count(session, items)
    shown: list[Translated] = list(session.scalars(
        exhibitions.limit(query.limit).offset(query.offset)))
    if len(shown) < query.limit:
        item_offset = max(0, query.offset - exhibition_count)
        item_ids = list(session.scalars(
            items.limit(query.limit - len(shown)).offset(item_offset)))
        shown += items_with_media(session, item_ids)
    languages = (query.language,) if query.language else content_languages()
    return CoveragePage(languages, coverage_of(session, shown, languages), total)


def _count(session: Session, query: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0

