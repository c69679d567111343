"""The visitor page of an exhibition: its published items in order, each with a poster."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from motpub.exhibitions.models import Exhibition, ExhibitionItem
from motpub.items.models import Item
from motpub.media.models.image import Image
from motpub.media.models.video import MediaKind, Video
from motpub.items.services.pages import Field, languages_with_content, pick
from motpub.items.services.pictures import Picture, make_picture, ready_images
from motpub.i18n import content_languages, fallback_language


@dataclass(frozen=True, slots=True)
class Entry:
    slug: str
    title: Field
    summary: Field | None
    poster_url: str | None
    poster_width: int | None
    poster_height: int | None
    thumbnail: Picture | None = None  # the item's hero, in place of a poster


@dataclass(frozen=True, slots=True)
class ExhibitionPage:
    exhibition_id: int
    slug: str
    language: str
    title: Field
    intro: Field | None
    venue: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    entries: list[Entry]
    # Those the exhibition's title or introduction, or one of its items' title or summary, is
    # in: what the language menu offers.
    languages: tuple[str, ...] = ()
    cover: Picture | None = None  # the exhibition's first ready image


def default_language(exhibition: Exhibition) -> str:
    """The language the exhibition's title is written in, the editors' first language first."""
    return next((lang for lang in content_languages() if exhibition.title.get(lang)),
                fallback_language())


def load_exhibition(session: Session, slug: str) -> Exhibition | None:
    """The exhibition with its images, items and their videos and images, in a few reads
    whatever its size."""
    items = selectinload(Exhibition.entries).selectinload(ExhibitionItem.item)
    return session.scalar(
        select(Exhibition).where(Exhibition.slug == slug).options(
            selectinload(Exhibition.images), items.selectinload(Item.videos),
            items.selectinload(Item.images)))


def poster(videos: list[Video], language: str) -> Video | None:
    """A ready video with a poster: in the visitor's language, else neutral, else any."""
    ready = [v for v in videos if v.kind is MediaKind.VIDEO and v.master_key and v.poster_key]
    for wanted in (language, None):
        for video in ready:
            if video.language == wanted:
                return video
    return ready[0] if ready else None


def build_exhibition_page(exhibition: Exhibition, language: str,
                          media_url: Callable[[str], str]) -> ExhibitionPage:
    entries = []
    default = default_language(exhibition)
    texts = [exhibition.title, exhibition.intro]
    for item in exhibition.items:
        if not item.is_published:
            continue
        texts += [item.title, item.summary]
        video = poster(list(item.videos), language)
        hero = next(iter(ready_images(item.images)), None)
        entries.append(Entry(
            slug=item.slug,
            title=pick(item.title, language, item.default_language) or Field(
                item.slug, language, False),
            summary=pick(item.summary, language, item.default_language),
            poster_url=media_url(video.poster_key) if video and video.poster_key else None,
            poster_width=video.width if video else None,
            poster_height=video.height if video else None,
            thumbnail=_picture(hero, language, item.default_language, media_url),
        ))
    cover = next(iter(ready_images(exhibition.images)), None)
    return ExhibitionPage(
        exhibition_id=exhibition.id, slug=exhibition.slug, language=language,
        title=pick(exhibition.title, language, default) or Field(
            exhibition.slug, language, False),
        intro=pick(exhibition.intro, language, default), venue=exhibition.venue,
        starts_on=exhibition.starts_on, ends_on=exhibition.ends_on, entries=entries,
        languages=languages_with_content(texts, []),
        cover=_picture(cover, language, default, media_url))


def _picture(image: Image | None, language: str, default: str,
             media_url: Callable[[str], str]) -> Picture | None:
    if image is None:
        return None
    return make_picture(image, lambda texts: pick(texts, language, default), media_url)
