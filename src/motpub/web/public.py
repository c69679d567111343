"""What visitors see: the page a scan opens, the canonical item page, the health check."""

from __future__ import annotations

import base64
import functools
import hashlib
import threading
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, g, jsonify, redirect, render_template, request, url_for
from markupsafe import escape

from motpub.database import read_connection, time_limit
from motpub.domain import Item, LanguageSource
from motpub.services.codes import resolve_code
from motpub.services.exhibition_pages import load_exhibition
from motpub.services.health import readiness_checks
from motpub.services.language import negotiate_language, normalize_language
from motpub.services.pages import Target, build_item_page, resolve_slug
from motpub.web.context import db, runtime, settings
from motpub.web.extensions import LANGUAGE_COOKIE, csrf, limiter
from motpub.web.media import media_url_for

bp = Blueprint("public", __name__)
csrf.exempt(bp)
limiter.exempt(bp)  # nothing here is limited; spares the scan page the limiter's lookups

PAGE_CACHE_SIZE = 2048
CODE_SLOT = 'data-code=""'  # in the item page, filled with the code a scan opened it through
_cache_lock = threading.Lock()
# During a database outage a visitor page waits at most this long before the outage page
# (web.outage); the health check a little less, to answer before a load balancer gives up.
VISITOR_LIMIT_S = 5.0
HEALTH_CHECK_LIMIT_S = 3.0


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


def render_item_html(item: Item, language: str, *, switch_url: str | None = None,
                     is_preview: bool = False) -> str:
    """The visitor page; the language switch leads to the canonical page unless told otherwise."""
    g.language = language  # the interface strings follow the page's language
    css, _hash = page_style(settings().templates_dir)
    other_language = "en" if language == "zh" else "zh"
    return render_template(
        "public/item.html",
        page=build_item_page(item, language, media_url=media_url_for(item)),
        page_css=css,
        other_language=other_language,
        switch_url=switch_url or f"/i/{item.slug}?lang={other_language}",
        is_preview=is_preview,
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


def visitor_language(default: str) -> tuple[str, LanguageSource]:
    """The page's language: ?lang=, then the cookie, then Accept-Language, then `default`."""
    return negotiate_language(
        param=request.args.get("lang"),
        cookie=request.cookies.get(LANGUAGE_COOKIE),
        accept_languages=request.accept_languages,
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


def _serve(target: Target | None, code: str | None = None) -> Response:
    if target is None:
        return not_found_response()
    language, source = visitor_language(target.default_language)
    html = _cached_page(target, language)
    if code:  # its beacons report it; one cached page serves every code of the item
        html = html.replace(CODE_SLOT, f'data-code="{escape(code)}"', 1)
    response = page_response(html, language)
    _record(target, language, source)
    return response


def _record(target: Target, language: str, source: LanguageSource) -> None:
    facts = {"item_id": target.item_id, "language": language, "language_source": source,
             "user_agent": request.headers.get("User-Agent", ""),
             "ip": request.remote_addr or "", "referrer": request.referrer,
             "is_head": request.method == "HEAD"}
    if target.code_id is not None:
        runtime().scan_recorder.record_scan(code_id=target.code_id,
                                            exhibition_id=target.exhibition_id,
                                            is_orphan=target.is_orphan, **facts)
    else:
        runtime().scan_recorder.record_view(**facts)


def not_found_response() -> Response:
    css, _hash = page_style(settings().templates_dir)
    response = Response(render_template("errors/not_found.html", page_css=css), 404,
                        mimetype="text/html")
    response.headers["Content-Security-Policy"] = public_csp()
    response.headers["Cache-Control"] = "no-store"
    return response


def read_target(resolve, key: str) -> Target | None:
    """A page lookup, from this process's cache while no content has changed since."""
    return runtime().target_cache.get((resolve.__name__, key), lambda: _query(resolve, key))


def _query(resolve, key: str) -> Target | None:
    """Run one read-only lookup (a single SELECT) outside any transaction."""
    with read_connection(runtime().engine) as connection:
        return resolve(connection, key)


@bp.get("/s/<code>")
@visitor_page
def scan(code: str):
    target = read_target(resolve_code, code)
    if target is None or target.is_orphan:
        if target is not None:  # a printed code that leads nowhere: worth knowing about
            _record(target, target.default_language, LanguageSource.DEFAULT)
        return not_found_response()
    if target.exhibition_slug is not None:
        exhibition = load_exhibition(db(), target.exhibition_slug)
        if exhibition is None:  # deleted since the lookup was cached
            return not_found_response()
        from motpub.web.exhibition_page import exhibition_response  # it extends this module

        response, language, source = exhibition_response(exhibition)
        _record(target, language, source)
        return response
    return _serve(target, code)


@bp.get("/i/<slug>")
@visitor_page
def item_page(slug: str):
    return _serve(read_target(resolve_slug, slug))


@bp.get("/livez")
def livez():
    """Liveness only: the process answers. Also the trivial route benchmarks compare against."""
    return Response("ok\n", mimetype="text/plain")


@bp.get("/favicon.ico")
def favicon():
    return Response(status=204, headers={"Cache-Control": "public, max-age=86400"})


@bp.get("/healthz")
def healthz():
    from motpub.database import ping

    try:
        with time_limit(HEALTH_CHECK_LIMIT_S):
            ping(db())
    except Exception as error:  # the probe must answer, whatever the database does
        return jsonify({"status": "unavailable", "database": type(error).__name__}), 503, \
            {"Retry-After": "30", "Cache-Control": "no-store"}
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Readiness: the database answers and is migrated, storage and queue answer. For
    probes that send no credentials, so only each check's name and ok or fail: no URL,
    version or reason (`motpub doctor` tells those to the operator)."""
    state = runtime()
    with time_limit(HEALTH_CHECK_LIMIT_S):
        checks = readiness_checks(state.settings, engine=state.engine, storage=state.storage,
                                  queue=state.queue)
    is_ready = all(check.is_ok for check in checks)
    body = {"status": "ok" if is_ready else "unavailable",
            "checks": {check.name: "ok" if check.is_ok else "fail" for check in checks}}
    headers = {"Cache-Control": "no-store"}
    if not is_ready:
        headers["Retry-After"] = "30"
    return jsonify(body), 200 if is_ready else 503, headers


@bp.get("/")
def home():
    return redirect(url_for("studio.items"))
