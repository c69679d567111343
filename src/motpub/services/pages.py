"""The visitor page of an item, in one language, with field-by-field fallback."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from motpub.domain import LANGUAGES, Item, ItemStatus
from motpub.services.markdown import render_markdown


@dataclass(frozen=True, slots=True)
class Target:
    """What serving a page needs, read in one indexed query. code_id is None for a view."""

    code_id: int | None
    item_id: int
    item_revision: int
    default_language: str


_RESOLVE_SLUG = (
    select(Item.id, Item.revision, Item.default_language)
    .where(Item.slug == bindparam("slug"), Item.status == ItemStatus.PUBLISHED)
)


def resolve_slug(connection: Connection | Session, slug: str) -> Target | None:
    """The published item at /i/<slug>, or None. Runs on a Core connection or a session."""
    row = connection.execute(_RESOLVE_SLUG, {"slug": slug}).first()
    return Target(None, *row) if row else None


@dataclass(frozen=True, slots=True)
class Field:
    """One piece of text; `language` differs from the page's when it is a fallback."""

    text: str
    language: str
    is_fallback: bool


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    title: Field


@dataclass(frozen=True, slots=True)
class ItemPage:
    language: str
    slug: str
    title: Field
    summary: Field | None
    body_html: Field | None
    links: list[Link]

    @property
    def has_fallback(self) -> bool:
        fields = [self.title, self.summary, self.body_html, *(link.title for link in self.links)]
        return any(field.is_fallback for field in fields if field)


def pick(texts: dict[str, str], language: str) -> Field | None:
    if texts.get(language):
        return Field(texts[language], language, False)
    for other in LANGUAGES:
        if texts.get(other):
            return Field(texts[other], other, True)
    return None


def build_item_page(item: Item, language: str) -> ItemPage:
    body = pick(item.body, language)
    return ItemPage(
        language=language,
        slug=item.slug,
        title=pick(item.title, language) or Field(item.slug, language, False),
        summary=pick(item.summary, language),
        body_html=body and Field(render_markdown(body.text), body.language, body.is_fallback),
        links=[
            Link(url=link["url"], title=pick(link["title"], language) or Field(
                link["url"], language, False))
            for link in item.links
        ],
    )
