"""The visitor page of an exhibition at /x/<slug>, with the item pages' style and policy."""

from __future__ import annotations

from flask import Response, g, render_template

from motpub.exhibitions.models import Exhibition
from motpub.i18n import LanguageSource
from motpub.exhibitions.services.pages import (
    build_exhibition_page, default_language, load_exhibition)
from motpub.items.services.pictures import HERO_SIZES, THUMBNAIL_SIZES
from motpub.web.audiences import public_blueprint
from motpub.web.context import db, runtime, settings
from motpub.web.pages import (not_found_response, language_menu, page_response, page_style,
                              visitor_language, visitor_page)

bp = public_blueprint("exhibitions_public", __name__, is_limited=False)


def exhibition_response(exhibition: Exhibition) -> tuple[Response, str, LanguageSource]:
    """The page in the visitor's language, and the language with what decided it (what a
    scan of the entrance code records)."""
    language, source = visitor_language(default_language(exhibition))
    g.language = language  # the interface strings follow the page's language
    css, _hash = page_style(settings().templates_dir)
    page = build_exhibition_page(exhibition, language, media_url=runtime().storage.url)
    html = render_template(
        "public/exhibition.html", page=page, page_css=css,
        menu=language_menu(language, page.languages,
                           lambda other: f"/x/{exhibition.slug}?lang={other}"),
        hero_sizes=HERO_SIZES, thumbnail_sizes=THUMBNAIL_SIZES)
    return page_response(html, language), language, source


@bp.get("/x/<slug>")
@visitor_page
def exhibition_page(slug: str):
    exhibition = load_exhibition(db(), slug)
    if exhibition is None:
        return not_found_response()
    response, _language, _source = exhibition_response(exhibition)
    return response
