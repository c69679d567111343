"""The visitor page of an item, in one language, with field-by-field fallback."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field as dataclass_field

from markupsafe import escape
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from motpub.items.models import Item, ItemStatus
from motpub.media.models.video import MediaKind, Video
from motpub.markdown import render_markdown
from motpub.i18n import (N_, content_languages, direction, fallback_chain, language_name,
                         own_name, render)
from motpub.items.services.pictures import (ARTICLE_SIZES, Picture, make_picture,
                                           ready_images)

_SHOWN_IN = N_("Shown in %(language)s")
_ZOOM_IN = N_("Zoom in")


@dataclass(frozen=True, slots=True)
class Target:
    """What serving a page needs, read in one indexed query. code_id is None for a view."""

    code_id: int | None
    item_id: int | None  # None for an exhibition's entrance code
    item_revision: int
    default_language: str
    exhibition_id: int | None = None  # the exhibition a scan is counted in, if any
    exhibition_slug: str | None = None  # an entrance code opens this exhibition's page
    is_orphan: bool = False  # a code that leads nowhere: disabled, or its item unpublished


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
class Track:
    language: str
    label: str
    url: str
    is_default: bool


@dataclass(frozen=True, slots=True)
class Sound:
    """A language the video's sound can be heard in: its own, or a dub's."""

    language: str
    label: str


@dataclass(frozen=True, slots=True)
class Player:
    """A ready video or audio guide as the page plays it."""

    video_id: int
    kind: str  # "video" or "audio"
    hls_url: str
    poster_url: str | None
    width: int | None
    height: int | None
    language: str | None
    tracks: list[Track]
    audio_language: str | None = None  # what plays first: the video's own, or a dub's
    sounds: list[Sound] = dataclass_field(default_factory=list)  # with dubs, every language


@dataclass(frozen=True, slots=True)
class ItemPage:
    item_id: int
    language: str
    slug: str
    title: Field
    summary: Field | None
    body_html: Field | None
    links: list[Link]
    video: Player | None = None
    audio: Player | None = None
    # The languages the item has something in (a text or a ready video or audio guide), in
    # the editors' order: what the language menu offers.
    languages: tuple[str, ...] = ()
    # The ready images in order: the first is the hero, the others the gallery.
    pictures: tuple[Picture, ...] = ()

    @property
    def hero(self) -> Picture | None:
        return self.pictures[0] if self.pictures else None

    @property
    def gallery(self) -> tuple[Picture, ...]:
        return self.pictures[1:]

    @property
    def has_fallback(self) -> bool:
        fields = [self.title, self.summary, self.body_html, *(link.title for link in self.links)]
        return any(field.is_fallback for field in fields if field)


def pick(texts: dict[str, str], language: str, default: str | None = None) -> Field | None:
    """The text in `language`, else in the first language of its fallback chain that has it
    (i18n.fallback_chain: configured languages only, so a text in a language removed from
    the configuration is kept but never shown)."""
    for other in fallback_chain(language, default):
        if texts.get(other):
            return Field(texts[other], other, other != language)
    return None


def languages_with_content(texts: list[dict[str, str]], videos: list[Video]) -> tuple[str, ...]:
    """The content languages in which one of `texts` is written or one of `videos` is ready,
    spoken or dubbed."""
    ready = {video.language for video in videos if video.master_key}
    ready.update(lang for video in videos if video.master_key for lang in _dub_languages(video))
    return tuple(lang for lang in content_languages()
                 if lang in ready or any(text.get(lang) for text in texts))


def _dub_languages(video: Video) -> list[str]:
    return [track.language for track in video.audio_tracks if track.is_playable]


def _choose(videos: list[Video], kind: MediaKind, language: str,
            default: str | None = None) -> Video | None:
    """The visitor's language first, then a video dubbed into it, then a language-neutral
    one, then each language the visitor reads next (i18n.fallback_chain: spoken or dubbed),
    then any other."""
    ready = [v for v in videos if v.kind is kind and v.master_key]

    def speaking(wanted: str | None) -> Video | None:
        return (next((v for v in ready if v.language == wanted), None)
                or next((v for v in ready if wanted in _dub_languages(v)), None))

    for wanted in (language, None, *fallback_chain(language, default)[1:]):
        if video := speaking(wanted):
            return video
    return ready[0] if ready else None


def _sound(video: Video, language: str, default: str | None) -> tuple[str | None, str]:
    """The language the video speaks to this visitor, and the master playlist that plays it
    first: its own sound, or the dub the visitor reads soonest (i18n.fallback_chain)."""
    assert video.master_key is not None
    dubs = {track.language: track.master_key for track in video.audio_tracks
            if track.is_playable and track.master_key}
    if video.language is not None and dubs:
        for wanted in fallback_chain(language, default):
            if wanted == video.language:
                break
            if wanted in dubs:
                return wanted, dubs[wanted]
    return video.language, video.master_key


def _player(video: Video | None, language: str,
            media_url: Callable[[str], str] | None, default: str | None = None) -> Player | None:
    # No media_url: a page without media. A chosen video has its playlist.
    if video is None or media_url is None or video.master_key is None:
        return None
    spoken, master_key = _sound(video, language, default)
    # Captions in the visitor's language are switched on when the video speaks another.
    show_captions = spoken is not None and spoken != language
    sounds = [video.language, *_dub_languages(video)] if video.language else []
    return Player(
        video_id=video.id,
        kind=video.kind.value,
        hls_url=media_url(master_key),
        poster_url=media_url(video.poster_key) if video.poster_key else None,
        width=video.width, height=video.height, language=video.language,
        tracks=[Track(c.language, own_name(c.language), media_url(c.vtt_key),
                      show_captions and c.language == language)
                for c in video.captions],
        audio_language=spoken,
        sounds=[Sound(lang, own_name(lang)) for lang in sounds] if len(sounds) > 1 else [],
    )


def build_item_page(item: Item, language: str,
                    media_url: Callable[[str], str] | None = None) -> ItemPage:
    default = item.default_language
    body = pick(item.body, language, default)
    videos = list(item.videos) if media_url else []
    pictures = tuple(make_picture(image, lambda texts: pick(texts, language, default), media_url)
                     for image in ready_images(item.images)) if media_url else ()
    by_id = {picture.image_id: picture for picture in pictures}
    video = _player(_choose(videos, MediaKind.VIDEO, language, item.default_language),
                    language, media_url, item.default_language)
    if video and not video.poster_url and pictures:  # the hero stands in for a poster
        video = dataclasses.replace(video, poster_url=pictures[0].src)
    return ItemPage(
        item_id=item.id,
        language=language,
        slug=item.slug,
        title=pick(item.title, language, default) or Field(item.slug, language, False),
        summary=pick(item.summary, language, default),
        body_html=body and Field(
            render_markdown(body.text, lambda image_id, alt, is_block: _figure(
                by_id.get(image_id), alt, is_block, language)),
            body.language, body.is_fallback),
        links=[
            Link(url=link["url"], title=pick(link["title"], language, default) or Field(
                link["url"], language, False))
            for link in item.links
        ],
        video=video,
        audio=_player(_choose(videos, MediaKind.AUDIO, language, item.default_language),
                      language, media_url, item.default_language),
        languages=languages_with_content([item.title, item.summary, item.body], videos),
        pictures=pictures,
    )


def _figure(picture: Picture | None, written_alt: str, is_block: bool,
            language: str) -> str | None:
    """A picture the article places: alone, a <figure> with its caption and credit; inside
    text, the picture alone. An image not of this item, or not ready: nothing."""
    if picture is None:
        return None
    html = picture.html(ARTICLE_SIZES, written_alt=written_alt, language=language,
                        zoom_label=render(_ZOOM_IN, language))
    if not is_block:
        return html
    caption = ""
    if picture.caption:
        text = picture.caption
        lang = f' lang="{text.language}"' + (
            f' dir="{direction(text.language)}"'
            if direction(text.language) != direction(language) else "")
        shown_in = render(_SHOWN_IN, language,
                          {"language": language_name(text.language, language)})
        marker = (f' <span class="fallback" lang="{language}">{escape(shown_in)}</span>'
                  if text.is_fallback else "")
        caption = f'<span{lang}>{escape(text.text)}</span>{marker}'
    if picture.credit:
        caption += f' <small class="credit">{escape(picture.credit)}</small>'
    figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f'<figure class="picture">{html}{figcaption}</figure>'

