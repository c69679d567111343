"""The GS1 resolver's answers for an item: its typed links, the one a request selects, the
RFC 9264 linkset, and the resolver description file. No HTTP here."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote_plus, urlencode
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from motpub.items.models import Item, ItemStatus
from motpub.media.models.video import MediaKind
from motpub.codes.services.gs1 import DigitalLink, VOCABULARY
from motpub.items.services.pages import pick
from motpub.i18n import content_languages, fallback_chain, N_, render

LINKSET_CONTEXT = "https://ref.gs1.org/standards/resolver/linkset-context"
# Query parameters the resolver itself reads to choose a link; every other one travels on.
RESOLVER_PARAMETERS = frozenset({"linkType", "lang", "mediaType", "context"})
LINKSET_WORDS = frozenset({"linkset", "all"})  # "all" is the deprecated name of "linkset"

_VIDEO_TITLE = N_("Video: %(title)s")
_AUDIO_TITLE = N_("Audio guide: %(title)s")


@dataclass(frozen=True, slots=True)
class Link:
    """One typed link of an item; `link_type` is a GS1 Web Vocabulary name such as "pip"."""

    link_type: str
    href: str
    title: str
    hreflang: tuple[str, ...]
    media_type: str = "text/html"

    def as_json(self) -> dict[str, Any]:
        return {"href": self.href, "title": self.title, "type": self.media_type,
                "hreflang": list(self.hreflang)}


def find_published_item(session: Session, gtin: str) -> Item | None:
    return session.scalar(
        select(Item).where(Item.gtin == gtin, Item.status == ItemStatus.PUBLISHED))


def _page_url(public_url: str, item: Item, link: DigitalLink, language: str,
              fragment: str = "") -> str:
    # The key qualifiers travel to the page as GS1 element strings (AI=value), like data
    # attributes do in a Digital Link's own query string.
    query = urlencode([("lang", language), *link.qualifiers], quote_via=quote)
    return f"{public_url.rstrip('/')}/i/{quote(item.slug)}?{query}{fragment}"


def _title(texts: dict[str, str], language: str, fallback: str) -> str:
    field = pick(texts, language)
    return field.text if field else fallback


def item_languages(item: Item) -> tuple[str, ...]:
    """The content languages the item has a title in, in the deployment's order: those its
    links are offered in, each titled in its own language."""
    return tuple(lang for lang in content_languages() if item.title.get(lang))


def item_links(item: Item, link: DigitalLink, *, public_url: str) -> list[Link]:
    """Every link the resolver offers for `item`, most important first.

    The default link is the item page in the item's default language; the same page in each
    language the item has is the product information page (gs1:pip) and, since the resolver
    picks among them by the visitor's language, a gs1:defaultLinkMulti link too.
    """
    default = item.default_language
    languages = item_languages(item) or (default,)
    pages = {lang: _page_url(public_url, item, link, lang) for lang in (*languages, default)}
    titles = {lang: _title(item.title, lang, item.slug) for lang in (*languages, default)}
    links = [Link("defaultLink", pages[default], titles[default], (default,))]
    links += [Link("defaultLinkMulti", pages[lang], titles[lang], (lang,)) for lang in languages]
    links += [Link("pip", pages[lang], titles[lang], (lang,)) for lang in languages]
    ready = {video.kind for video in item.videos if video.master_key}
    if MediaKind.VIDEO in ready:
        links += [Link("relatedVideo", _page_url(public_url, item, link, lang, "#player"),
                       render(_VIDEO_TITLE, lang, {"title": titles[lang]}), (lang,))
                  for lang in languages]
    if MediaKind.AUDIO in ready:
        # The audio guide tells a visitor how to look at the object: the closest link type
        # the GS1 vocabulary has for it.
        links += [Link("instructions", _page_url(public_url, item, link, lang, "#audio-guide"),
                       render(_AUDIO_TITLE, lang, {"title": titles[lang]}), (lang,))
                  for lang in languages]
    for external in item.links:
        # Further reading about the object is more product information; each language the
        # editor titled the link in is offered as that language.
        links += [Link("pip", external["url"], text, (lang,))
                  for lang in content_languages() if (text := external["title"].get(lang))]
    return links


def language_link_header(links: list[Link]) -> str:
    """An RFC 8288 Link field value of the item's page in each language it has (its gs1:pip
    links to our pages): hreflang, and the title in that language (RFC 8187 title* when it
    is not ASCII, as header values are)."""
    values = []
    for one in links:
        if one.link_type != "pip" or "/i/" not in one.href or "#" in one.href:
            continue
        title = (f'title="{one.title}"' if one.title.isascii() and '"' not in one.title
                 else f"title*=UTF-8''{quote(one.title, safe='')}")
        values.append(f'<{one.href}>; rel="{VOCABULARY}pip"; type="{one.media_type}"; '
                      f'hreflang="{one.hreflang[0]}"; {title}')
    return ", ".join(values)


def matching_links(links: list[Link], link_type: str, language: str,
                   default: str | None = None) -> list[Link]:
    """The links of `link_type` that fit the request best: those in `language` (one per
    target), else, given the item's `default` language, in the first language of the
    fallback chain that has one, else the first of that type; none when the item has no
    link of that type.

    More than one means the request cannot tell them apart (the item's page and an editor's
    link are both gs1:pip in the same language): the resolver then answers 300 Multiple
    Choices with the list, as GS1-Conformant Resolver 1.2 says a resolver should when it
    cannot determine which of several links of the requested type is the best match.
    """
    candidates = [one for one in links if one.link_type == link_type]
    in_language = []
    chain = fallback_chain(language, default) if default else ()
    for wanted in (language, *chain):
        if in_language := [one for one in candidates if wanted in one.hreflang]:
            break
    if not in_language:
        return candidates[:1]
    targets = {one.href: one for one in reversed(in_language)}  # the first of each target
    return [one for one in in_language if targets[one.href] is one]


def linkset(links: list[Link], *, anchor: str, description: str) -> dict[str, Any]:
    """The RFC 9264 JSON linkset: link types as full vocabulary URIs, in a stable order."""
    context: dict[str, Any] = {"anchor": anchor, "itemDescription": description}
    for one in links:
        context.setdefault(VOCABULARY + one.link_type, []).append(one.as_json())
    return {"linkset": [context]}


def forwarded_query(raw_query: str) -> str:
    """The request's query string, exactly as sent, without the parameters the resolver
    consumed to choose the link."""
    kept = [part for part in raw_query.split("&")
            if part and unquote_plus(part.partition("=")[0]) not in RESOLVER_PARAMETERS]
    return "&".join(kept)


def redirect_target(href: str, query: str) -> str:
    """`href` with `query` added to its own query string, before any fragment."""
    if not query:
        return href
    base, hash_sign, fragment = href.partition("#")
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}{query}{hash_sign}{fragment}"


def description(public_url: str) -> dict[str, Any]:
    """The resolver description file served at /.well-known/gs1resolver."""
    return {
        "name": "motpub GS1 Digital Link resolver",
        "resolverRoot": public_url.rstrip("/"),
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [{"namespace": VOCABULARY, "prefix": "gs1:"}],
        "linkTypeDefaultCanBeLinkset": False,
        "jsonLdContextLocation": LINKSET_CONTEXT,
    }
