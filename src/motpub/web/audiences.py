"""Blueprints by audience. Each feature builds its front doors with these, so every page of
one audience shares its URL prefix, its security headers and its CSRF rule, wherever the
feature's code lives."""

from __future__ import annotations

from flask import Blueprint, Response

from motpub.web.context import runtime
from motpub.web.extensions import csrf, limiter
from motpub.web.pages import csp_sources


def public_blueprint(name: str, import_name: str, *, is_limited: bool = True,
                     url_prefix: str | None = None) -> Blueprint:
    """Visitors' and machines' routes: no session forms, so no CSRF. Pages with no limited
    route say `is_limited=False`, which spares the scan page the limiter's lookups."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    csrf.exempt(bp)
    if not is_limited:
        limiter.exempt(bp)
    return bp


def studio_blueprint(name: str, import_name: str) -> Blueprint:
    bp = Blueprint(name, import_name, url_prefix="/studio")
    bp.after_request(_studio_csp)
    return bp


def api_blueprint(name: str, import_name: str) -> Blueprint:
    bp = Blueprint(name, import_name, url_prefix="/api/v1")
    # Token-authenticated requests carry no ambient credentials, so CSRF does not apply.
    csrf.exempt(bp)
    bp.after_request(_api_headers)
    return bp


def _api_headers(response: Response) -> Response:
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="motpub"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _studio_csp(response: Response) -> Response:
    """The studio's own policy, wider than the app's default only where media lives: the
    browser PUTs upload parts straight to the storage (S3 presigned URLs) and previews
    stream from it. Set first, so the app-wide default (setdefault) leaves it alone."""
    storage = runtime().storage
    media = csp_sources(*storage.media_origins())
    uploads = csp_sources(*storage.media_origins(), *storage.upload_origins())
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; img-src {media} data: blob:; media-src {media} blob:; "
        f"connect-src {uploads}; worker-src 'self' blob:; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    )
    return response
