"""Exhibitions: an ordered selection of items at a venue, with an entrance code."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, StringConstraints, field_validator, \
    model_validator
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from motpub.codes.models.code import Code
from motpub.exhibitions.models import Exhibition, ExhibitionItem
from motpub.items.models import Item
from motpub.exhibitions.models import DEFAULT_TIMEZONE
from motpub.codes.services.codes import issue_code
from motpub.errors import Invalid, NotFound
from motpub.inputs import Id, Input
from motpub.items.services.items import Slug, Summary, Title, ensure_free, orphaned
from motpub.coverage.services import translations

MAX_EXHIBITION_ITEMS = 500
Venue = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class ExhibitionPatch(Input):
    """Fields an editor may change; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")
    slug: Slug | None = None
    title: Title | None = None  # type: ignore[valid-type]
    intro: Summary | None = None  # type: ignore[valid-type]
    venue: Venue | None = None
    timezone: str | None = Field(default=None, max_length=64,
                                 description="IANA time zone name, e.g. Asia/Shanghai")
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as Asia/Shanghai") \
                from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if "title" in self.model_fields_set and (self.title is None or not self.title.as_dict()):
            raise ValueError("title needs at least one language")
        if self.starts_on and self.ends_on and self.starts_on > self.ends_on:
            raise ValueError("ends_on is before starts_on")
        return self


class ExhibitionInput(ExhibitionPatch):
    slug: Slug
    title: Title  # type: ignore[valid-type]


class ExhibitionItemsInput(Input):
    model_config = ConfigDict(extra="forbid")
    item_ids: list[Id] = Field(max_length=MAX_EXHIBITION_ITEMS)

    @field_validator("item_ids")
    @classmethod
    def _no_duplicates(cls, value: list[int]) -> list[int]:
        repeated = sorted({item_id for item_id in value if value.count(item_id) > 1})
        if repeated:
            raise ValueError(f"each item may appear once; repeated: {repeated}")
        return value


def _check_slug_free(session: Session, slug: str, exhibition_id: int | None = None) -> None:
    ensure_free(session, Exhibition.slug, slug, except_id=exhibition_id,
                message=f"the slug {slug!r} is taken by another exhibition", field="slug")


def _apply(exhibition: Exhibition, data: ExhibitionPatch) -> None:
    fields = data.model_fields_set
    if "slug" in fields and data.slug:
        exhibition.slug = data.slug
    for name in ("title", "intro"):
        if name in fields:
            value = getattr(data, name)
            setattr(exhibition, name, {**orphaned(getattr(exhibition, name) or {}),
                                       **(value.as_dict() if value is not None else {})})
    if "venue" in fields:
        exhibition.venue = data.venue or ""
    if "timezone" in fields:
        exhibition.timezone = data.timezone or DEFAULT_TIMEZONE
    for name in ("starts_on", "ends_on"):
        if name in fields:
            setattr(exhibition, name, getattr(data, name))
    if exhibition.starts_on and exhibition.ends_on and exhibition.starts_on > exhibition.ends_on:
        raise Invalid("ends_on is before starts_on", field="ends_on")


def create_exhibition(session: Session, data: ExhibitionInput, *,
                      source_language: str | None = None) -> Exhibition:
    _check_slug_free(session, data.slug)
    exhibition = Exhibition(slug=data.slug, timezone=DEFAULT_TIMEZONE, venue="")
    _apply(exhibition, data)
    session.add(exhibition)
    session.flush()
    translations.record_translations(session, exhibition, {}, source_language=source_language)
    return exhibition


def get_exhibition(session: Session, exhibition_id: int) -> Exhibition:
    exhibition = session.get(Exhibition, exhibition_id)
    if exhibition is None:
        raise NotFound(f"no exhibition with id {exhibition_id}")
    return exhibition


def exhibitions_query() -> Select[Any]:
    """Every exhibition, newest first, for a paged list."""
    return select(Exhibition).order_by(Exhibition.id.desc())


def list_exhibitions(session: Session) -> list[Exhibition]:
    return list(session.scalars(select(Exhibition).order_by(Exhibition.id.desc())))


def update_exhibition(session: Session, exhibition: Exhibition, data: ExhibitionPatch, *,
                      source_language: str | None = None) -> Exhibition:
    """Change the fields `data` names; changed translations are recorded as based on their
    source text as it is now (coverage.services.translations)."""
    if data.slug and data.slug != exhibition.slug:
        _check_slug_free(session, data.slug, exhibition.id)
    before = translations.texts_of(exhibition)
    _apply(exhibition, data)
    exhibition.touch()
    session.flush()
    translations.record_translations(session, exhibition, before,
                                     source_language=source_language)
    return exhibition


def delete_exhibition(session: Session, exhibition: Exhibition) -> None:
    """Its place list, entrance codes and translation bases go with it; the items stay."""
    translations.forget_translations(session, exhibition)
    session.delete(exhibition)
    session.flush()


def set_exhibition_items(session: Session, exhibition: Exhibition,
                         item_ids: list[int]) -> Exhibition:
    """Replace the ordered list. Every id must name an item, or nothing changes."""
    found = set(session.scalars(select(Item.id).where(Item.id.in_(item_ids)))) \
        if item_ids else set()
    unknown = [item_id for item_id in item_ids if item_id not in found]
    if unknown:
        raise Invalid(f"no item with id {', '.join(map(str, unknown))}", field="item_ids")
    # The old rows go first: positions are unique per exhibition.
    exhibition.entries.clear()
    session.flush()
    for position, item_id in enumerate(item_ids):
        exhibition.entries.append(ExhibitionItem(item_id=item_id, position=position))
    exhibition.touch()
    session.flush()
    session.refresh(exhibition, ["entries"])
    return exhibition


def issue_exhibition_code(session: Session, exhibition: Exhibition, *,
                          label: str = "") -> Code:
    """A code for the exhibition's entrance: a scan of it opens the exhibition's page."""
    return issue_code(session, exhibition=exhibition, label=label)


def item_ids_for_slugs(session: Session, slugs: list[str]) -> list[int]:
    """Ids of the items named by slug, in the order given; an unknown slug is an error."""
    found = dict(session.execute(select(Item.slug, Item.id).where(Item.slug.in_(slugs))).all()) \
        if slugs else {}
    unknown = [slug for slug in slugs if slug not in found]
    if unknown:
        raise Invalid(f"no item with slug {', '.join(unknown)}", field="item_ids")
    return [found[slug] for slug in slugs]
