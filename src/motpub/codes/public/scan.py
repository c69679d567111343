"""The page a printed code opens, /s/<code>: the scan is resolved to its item or its
exhibition, recorded, and answered with that page in the visitor's language."""

from __future__ import annotations

from motpub.i18n import LanguageSource
from motpub.codes.services.codes import resolve_code
from motpub.exhibitions.public import exhibition_response
from motpub.exhibitions.services.pages import load_exhibition
from motpub.items.public import serve_item
from motpub.web.audiences import public_blueprint
from motpub.web.context import db
from motpub.web.pages import not_found_response, read_target, record_visit, visitor_page

bp = public_blueprint("codes_scan", __name__, is_limited=False)


@bp.get("/s/<code>")
@visitor_page
def scan(code: str):
    target = read_target(resolve_code, code)
    if target is None or target.is_orphan:
        if target is not None:  # a printed code that leads nowhere: worth knowing about
            record_visit(target, target.default_language, LanguageSource.DEFAULT)
        return not_found_response()
    if target.exhibition_slug is not None:
        exhibition = load_exhibition(db(), target.exhibition_slug)
        if exhibition is None:  # deleted since the lookup was cached
            return not_found_response()
        response, language, source = exhibition_response(exhibition)
        record_visit(target, language, source)
        return response
    return serve_item(target, code)
