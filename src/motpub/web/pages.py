"""What every visitor page shares: the inline stylesheet and strict CSP, the language
negotiation, the time limit on database work, the page lookup cache, the 404 page, and the
hand-off of each page view to the scan recorder."""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from functools import cache
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from flask import Response, render_template, request
from sqlalchemy import Connection

from motpub.database import read_connection, time_limit
from motpub.i18n import (N_, LanguageSource, fallback_language, interface_default,
                         negotiate_language, normalize_language, render,
                         words_language)
from motpub.web.context import runtime, settings
from motpub.web.extensions import LANGUAGE_COOKIE

# During a database outage a visitor page waits at most this long before the outage page
# (web.outage); the health check a little less, to answer before a load balancer gives up.
VISITOR_LIMIT_S = 5.0
HEALTH_CHECK_LIMIT_S = 3.0
_NOT_FOUND = N_("Not found")
_PAGE_NOT_FOUND = N_("Page not found")
_NOT_FOUND_TEXT = N_("There is nothing to show for this code or link at the moment. Please "
                     "ask a member of staff.")


def visitor_page(view):
    """A visitor's page: its database work is limited to VISITOR_LIMIT_S."""
    @functools.wraps(view)
    def limited(*args, **kwargs):
        with time_limit(VISITOR_LIMIT_S):
            return view(*args, **kwargs)

    return limited


@cache
def page_style(templates_dir: Path) -> tuple[str, str]:
    """The public pages' inline stylesheet and its CSP hash: one round trip, no 'unsafe-inline'."""
    css = (templates_dir / "public" / "_page.css").read_text().strip()
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return css, f"'sha256-{digest}'"


def csp_sources(*origins: str) -> str:
    """A CSP source list: this origin, then `origins`, each once."""
    return " ".join(dict.fromkeys(("'self'", *origins)))


def public_csp() -> str:
    return _public_csp(settings().templates_dir, runtime().storage.media_origins())


@cache
def _public_csp(templates_dir: Path, media_origins: tuple[str, ...]) -> str:
    """No inline script, no third party: our player script and the HLS fallback, both ours
    to serve, and media from our origin or the storage's media origins (which it tells).
    Built once, not on every scan."""
    _css, style_hash = page_style(templates_dir)
    media = csp_sources(*media_origins)
    return (
        f"default-src 'none'; style-src {style_hash}; script-src 'self'; "
        f"img-src {media} data:; media-src {media} blob:; connect-src {media}; "
        "worker-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def visitor_language(default: str) -> tuple[str, LanguageSource]:
    """The page's language: ?lang=, then the cookie, then Accept-Language, then `default`."""
    return negotiate_language(
        param=request.args.get("lang"),
        cookie=request.cookies.get(LANGUAGE_COOKIE),
        # The raw header: its answer is cached per header value (i18n.header_language).
        accept_languages=request.headers.get("Accept-Language", ""),
        default=default,
    )


def page_response(html: str, language: str) -> Response:
    """A visitor page: strict CSP, never shared between visitors by a cache, and a ?lang=
    choice remembered for the next pages."""
    response = Response(html, mimetype="text/html")
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Security-Policy"] = public_csp()
    if normalize_language(request.args.get("lang")):
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="Lax",
                            secure=settings().is_https, httponly=True)
    return response


# A BCP 47 tag's language, script and region subtags; variants and extensions are dropped
# (a column of 8 characters: zh, de-AT, zh-Hant, es-419).
_ASKED_TAG = re.compile(r"([a-z]{2,3})(?:[-_]([a-z]{4}))?(?:[-_]([a-z]{2}|[0-9]{3}))?(?![a-z0-9])",
                        re.IGNORECASE)


def asked_tag(value: str | None) -> str | None:
    """`value` as a BCP 47 tag of at most 8 characters in its canonical case (zh-Hant-TW is
    zh-Hant, DE-de is de-DE), configured or not; None for anything that is not a tag."""
    if not value or not (match := _ASKED_TAG.match(value.strip())):
        return None
    language, script, region = match.groups()
    tag = language.lower()
    for part in (script.title() if script else None, region.upper() if region else None):
        if part and len(tag) + 1 + len(part) <= 8:
            tag += "-" + part
    return tag


def asked_language() -> str | None:
    """The language the visitor asked for, whether or not it is a content language: ?lang=,
    then the cookie, then the first tag of Accept-Language by q-value; None when none is
    asked. What analytics keep next to the language served, so ops see the fallbacks."""
    for value in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if tag := asked_tag(value):
            return tag
    # Werkzeug keeps the header's tags sorted by q-value, the first best.
    return next((tag for value, quality in request.accept_languages
                 if quality > 0 and (tag := asked_tag(value))), None)


def record_visit(target: Any, language: str, source: LanguageSource) -> None:
    facts = {"item_id": target.item_id, "language": language, "language_source": source,
             "asked_language": asked_language(),
             "user_agent": request.headers.get("User-Agent", ""),
             "ip": request.remote_addr or "", "referrer": request.referrer,
             "is_head": request.method == "HEAD"}
    if target.code_id is not None:
        runtime().scan_recorder.record_scan(code_id=target.code_id,
                                            exhibition_id=target.exhibition_id,
                                            is_orphan=target.is_orphan, **facts)
    else:
        runtime().scan_recorder.record_view(**facts)


def language_menu(language: str, languages: Iterable[str],
                  url: Callable[[str], str]) -> list[tuple[str, str | None]]:
    """The language menu: the languages a page has content in, in the editors' order, each
    with the URL of the page in it; the page's own language (always there) has None."""
    offered = dict.fromkeys(languages)
    return [(lang, None if lang == language else url(lang))
            for lang in (offered if language in offered else {**offered, language: None})]


def not_found_response() -> Response:
    """The page of a code or link that leads nowhere: in the visitor's language, and in the
    deployment's first language when that differs (staff and most visitors read it)."""
    css, _hash = page_style(settings().templates_dir)
    visitor, _source = visitor_language(interface_default())
    first = fallback_language()
    # Once per language that words it its own way (one without a catalog reads as English).
    notices: dict[str, tuple[str, str]] = {}
    for lang in dict.fromkeys((first, visitor)):
        notices.setdefault(render(_NOT_FOUND_TEXT, lang),
                           (words_language(lang), render(_PAGE_NOT_FOUND, lang)))
    response = Response(render_template(
        "errors/not_found.html", page_css=css, page_language=first,
        titles=dict.fromkeys(render(_NOT_FOUND, lang) for lang in (first, visitor)),
        notices=[(lang, heading, text) for text, (lang, heading) in notices.items()]), 404,
        mimetype="text/html")
    response.headers["Content-Security-Policy"] = public_csp()
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Cache-Control"] = "no-store"
    return response


Target = TypeVar("Target")


def read_target(resolve: Callable[[Connection, str], Target | None], key: str) -> Target | None:
    """A page lookup, from this process's cache while no content has changed since."""
    return runtime().target_cache.get((resolve.__name__, key), lambda: _query(resolve, key))


def _query(resolve: Callable[[Connection, str], Target | None], key: str) -> Target | None:
    """Run one read-only lookup (a single SELECT) outside any transaction."""
    with read_connection(runtime().engine) as connection:
        return resolve(connection, key)
