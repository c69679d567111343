"""The item's visitor page: the canonical page at /i/<slug>, and the page a scan of one of
its codes opens (served by the codes feature through serve_item)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Response, g, render_template
from markupsafe import escape

from motpub.items.models import Item
from motpub.items.services.pages import Target, build_item_page, resolve_slug
from motpub.items.services.pictures import GALLERY_SIZES, HERO_SIZES
from motpub.media.public import media_url_for
from motpub.web.audiences import public_blueprint
from motpub.web.context import db, runtime, settings
from motpub.web.pages import (not_found_response, language_menu, page_response, page_style,
                              read_target,
                              record_visit, visitor_language, visitor_page)

bp = public_blueprint("items_public", __name__, is_limited=False)

PAGE_CACHE_SIZE = 2048
CODE_SLOT = 'data-code=""'  # in the item page, filled with the code a scan opened it through
_cache_lock = threading.Lock()


def render_item_html(item: Item, language: str, *,
                     switch_url: Callable[[str], str] | None = None,
                     is_preview: bool = False) -> str:
    """The visitor page; the language switch leads to the canonical page unless told otherwise."""
    g.language = language  # the interface strings follow the page's language
    css, _hash = page_style(settings().templates_dir)
    page = build_item_page(item, language, media_url=media_url_for(item))
    return render_template(
        "public/item.html",
        page=page,
        page_css=css,
        menu=language_menu(language, page.languages, switch_url or (
            lambda other: f"/i/{item.slug}?lang={other}")),
        is_preview=is_preview,
        hero_sizes=HERO_SIZES,
        gallery_sizes=GALLERY_SIZES,
    )


def _cached_page(target: Target, language: str) -> str:
    key = (target.item_id, target.item_revision, language)
    cache = runtime().page_cache
    html = cache.get(key)
    if html is None:
        item = db().get(Item, target.item_id)
        html = render_item_html(item, language)
        with _cache_lock:
            if len(cache) >= PAGE_CACHE_SIZE:
                cache.clear()
            cache[key] = html
    return html


def serve_item(target: Target | None, code: str | None = None) -> Response:
    if target is None:
        return not_found_response()
    language, source = visitor_language(target.default_language)
    html = _cached_page(target, language)
    if code:  # its beacons report it; one cached page serves every code of the item
        html = html.replace(CODE_SLOT, f'data-code="{escape(code)}"', 1)
    response = page_response(html, language)
    record_visit(target, language, source)
    return response


@bp.get("/i/<slug>")
@visitor_page
def item_page(slug: str):
    return serve_item(read_target(resolve_slug, slug))
