"""Items: create, change, publish. Input is validated here once, for the API and the studio."""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from motpub.orm import utcnow
from motpub.inputs import SLUG_PATTERN
from motpub.items.models import Item, ItemStatus, SLUG_MAX_LENGTH
from motpub.errors import Conflict, Invalid, NotFound
from motpub.items.services.pictures import missing_alt
from motpub.codes.services.gs1 import normalize_gtin
from motpub.coverage.services import translations
from motpub.inputs import CONTROL_MESSAGE, has_control_character, Input, Language, QueryInput
from motpub.i18n import N_, content_languages, own_name, render_joined, SOURCE_LANGUAGE
from motpub.events import emit, ItemPublished, ItemUnpublished

Text = Annotated[str, StringConstraints(strip_whitespace=True)]


def _localized(name: str, max_length: int, *, is_multiline: bool = False) -> type[BaseModel]:
    bounded = Annotated[str, StringConstraints(strip_whitespace=True, max_length=max_length)]

    class LocalizedText(Input):
        """Text keyed by content language; which languages those are is the deployment's,
        so they are checked when validating, not declared as fields. The OpenAPI document
        lists them when it is served (web.openapi_languages)."""

        __qualname__ = name  # its name in the OpenAPI document
        model_config = ConfigDict(extra="allow", json_schema_extra={
            "additionalProperties": False, "x-content-languages": "properties"})
        __pydantic_extra__: dict[str, bounded | None]

        @model_validator(mode="after")
        def _in_content_languages(self):
            for lang, text in self.__pydantic_extra__.items():
                if lang not in content_languages():
                    raise ValueError(f"{lang!r} is not a content language; use "
                                     f"{', '.join(content_languages())}")
                if text and has_control_character(text, multiline=is_multiline):
                    raise ValueError(f"{lang}: {CONTROL_MESSAGE}")
            return self

        def as_dict(self) -> dict[str, str]:
            texts = self.__pydantic_extra__
            return {lang: value for lang in content_languages() if (value := texts.get(lang))}

    return LocalizedText


Title = _localized("Title", 200)
Summary = _localized("Summary", 1000, is_multiline=True)
Body = _localized("Body", 100_000, is_multiline=True)
LinkTitle = _localized("LinkTitle", 200)

Slug = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, max_length=SLUG_MAX_LENGTH,
                      pattern=SLUG_PATTERN),
]


class LinkInput(Input):
    model_config = ConfigDict(extra="forbid")
    url: AnyHttpUrl
    title: LinkTitle  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _has_title(self):
        if not self.title.as_dict():
            raise ValueError("a link needs a title in at least one language")
        return self


class ItemPatch(Input):
    """Fields an editor may change; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")
    slug: Slug | None = None
    title: Title | None = None  # type: ignore[valid-type]
    summary: Summary | None = None  # type: ignore[valid-type]
    body: Body | None = None  # type: ignore[valid-type]
    links: list[LinkInput] | None = Field(default=None, max_length=30)
    default_language: Language | None = None
    gtin: str | None = Field(
        default=None, max_length=40,
        description="GTIN-8, -12, -13 or -14 with a valid check digit; stored as 14 digits. "
                    "null (or empty) removes it.")

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, value: str | None) -> str | None:
        return normalize_gtin(value) if value and value.strip() else None

    @model_validator(mode="after")
    def _title_not_empty(self):
        if "title" in self.model_fields_set and (self.title is None or not self.title.as_dict()):
            raise ValueError("title needs at least one language")
        return self


class ItemInput(ItemPatch):
    title: Title  # type: ignore[valid-type]


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:SLUG_MAX_LENGTH - 9].strip("-")


def _free_slug(session: Session, base: str) -> str:
    base = base or "item"
    taken = set(session.scalars(select(Item.slug).where(Item.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    while (candidate := f"{base}-{secrets.token_hex(3)}") in taken:
        pass
    return candidate


def ensure_free(session: Session, column, value: str, *, except_id: int | None = None,
                message: str, field: str) -> None:
    """Conflict unless no row other than `except_id` holds `value` in a unique `column`.

    Checked before the write so the error names the field; the unique index still decides
    when two requests race.
    """
    model = column.class_
    query = select(model.id).where(column == value)
    if except_id is not None:
        query = query.where(model.id != except_id)
    if session.scalar(query) is not None:
        raise Conflict(message, field=field)


def _check_slug_free(session: Session, slug: str, item_id: int | None = None) -> None:
    ensure_free(session, Item.slug, slug, except_id=item_id,
                message=f"the slug {slug!r} is taken by another item", field="slug")


def _check_gtin_free(session: Session, gtin: str, item_id: int | None = None) -> None:
    ensure_free(session, Item.gtin, gtin, except_id=item_id,
                message=f"the GTIN {gtin} belongs to another item", field="gtin")


def orphaned(texts: dict[str, str]) -> dict[str, str]:
    """The texts of languages no longer configured: no save deletes them."""
    return {lang: text for lang, text in texts.items() if lang not in content_languages()}


def _apply(item: Item, data: ItemPatch) -> None:
    fields = data.model_fields_set
    if "gtin" in fields:
        item.gtin = data.gtin
    if "slug" in fields and data.slug:
        item.slug = data.slug
    for name in ("title", "summary", "body"):
        if name in fields:
            value = getattr(data, name)
            setattr(item, name, {**orphaned(getattr(item, name) or {}),
                                 **(value.as_dict() if value is not None else {})})
    if "links" in fields:
        kept = {link["url"]: orphaned(link.get("title", {})) for link in reversed(item.links)}
        item.links = [
            {"url": str(link.url), "title": {**kept.get(str(link.url), {}),
                                             **link.title.as_dict()}}
            for link in data.links or []
        ]
    if "default_language" in fields and data.default_language:
        item.default_language = data.default_language


def create_item(session: Session, data: ItemInput, *, source_language: str | None = None) -> Item:
    """A draft item. `source_language` is the language its translations were made from, when
    the editor had one beside the form (else the item's default language)."""
    if data.slug:
        _check_slug_free(session, data.slug)
        slug = data.slug
    else:
        # Made from the English title: other scripts would not survive slugifying.
        source_title = data.title.as_dict().get(SOURCE_LANGUAGE, "")
        slug = _free_slug(session, _slugify(source_title) or "item")
    if data.gtin:
        _check_gtin_free(session, data.gtin)
    item = Item(slug=slug, status=ItemStatus.DRAFT, links=[])
    _apply(item, data)
    if "default_language" not in data.model_fields_set:
        # Default to the language the editor wrote the title in, in the editors' order.
        item.default_language = next(lang for lang in content_languages()
                                     if item.title.get(lang))
    session.add(item)
    session.flush()
    translations.record_translations(session, item, {}, source_language=source_language)
    return item


def get_item(session: Session, item_id: int) -> Item:
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"no item with id {item_id}")
    return item


MAX_PAGE_SIZE = 500
# An offset past what SQLite's 64-bit integers hold used to fail the query with a 500.
MAX_OFFSET = 2**31 - 1


class ItemPage(QueryInput):
    """A page of the item list."""

    limit: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


def items_query() -> Select[Any]:
    """Every item, newest first, for a paged list."""
    return select(Item).order_by(Item.id.desc())


def list_items(session: Session, *, limit: int = 200, offset: int = 0) -> list[Item]:
    return list(session.scalars(select(Item).order_by(Item.id.desc()).limit(limit).offset(offset)))


def count_items(session: Session) -> int:
    return session.scalar(select(func.count(Item.id))) or 0


def update_item(session: Session, item: Item, data: ItemPatch, *,
                source_language: str | None = None) -> Item:
    """Change the fields `data` names. Each translation whose text changed is recorded as
    based on its source text as it is now (`source_language`, else the default language)."""
    if data.slug and data.slug != item.slug:
        _check_slug_free(session, data.slug, item.id)
    if data.gtin and data.gtin != item.gtin:
        _check_gtin_free(session, data.gtin, item.id)
    before = translations.texts_of(item)
    _apply(item, data)
    item.touch()
    session.flush()
    translations.record_translations(session, item, before, source_language=source_language)
    return item


MISSING_ALT = N_("Image %(image_id)s (%(filename)s) has no alt text in %(language)s: describe "
                 "it for visitors who cannot see it, then publish")


class MissingAlt(Invalid):
    """An image the item shows has no alt text in the item's default language."""

    def __init__(self, image_id: int, filename: str, language: str):
        self.message_args = {"image_id": image_id, "filename": filename,
                             "language": own_name(language)}
        super().__init__(render_joined(MISSING_ALT, self.message_args), field="alt",
                         details={"image_id": image_id, "language": language})


def publish_item(session: Session, item: Item) -> Item:
    """Publish: visitors can open it. Refused while a picture it shows has no alt text in
    the item's default language, the one text every visitor can be given."""
    if not item.is_published:
        if missing := missing_alt(item.images, item.default_language):
            raise MissingAlt(missing[0].id, missing[0].filename, item.default_language)
        item.status = ItemStatus.PUBLISHED
        item.published_at = utcnow()
        item.touch()
        session.flush()
        emit(session, ItemPublished(item.id))
    return item


def unpublish_item(session: Session, item: Item) -> Item:
    if item.is_published:
        item.status = ItemStatus.DRAFT
        item.touch()
        session.flush()
        emit(session, ItemUnpublished(item.id))
    return item
