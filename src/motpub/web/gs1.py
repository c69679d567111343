"""The GS1 Digital Link resolver: /01/<gtin>[/22/<cpv>][/10/<lot>][/21/<serial>] redirects to
the item's page or answers its linkset, and /.well-known/gs1resolver describes the resolver.

Public, for retail scanners and phones alike: no authentication, CORS open to every origin.
The view is recorded by the item page the redirect lands on, so a resolver hop is not counted
twice.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, request

from motpub.services.errors import NotFound, ServiceError
from motpub.services.gs1 import link_type_name, parse_digital_link
from motpub.services.language import negotiate_language
from motpub.services.resolver import (
    LINKSET_CONTEXT,
    LINKSET_WORDS,
    choose_link,
    description,
    find_published_item,
    forwarded_query,
    item_links,
    linkset,
    redirect_target,
)
from motpub.web.context import db, settings
from motpub.web.extensions import csrf

bp = Blueprint("gs1", __name__)
csrf.exempt(bp)

METHODS = ["GET", "HEAD", "OPTIONS"]
# Media types a client may ask the linkset in; anything else (a browser) is redirected.
LINKSET_TYPES = ["application/linkset+json", "application/json", "application/ld+json"]


@bp.after_request
def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = ", ".join(METHODS)
    response.headers["Access-Control-Allow-Headers"] = "Accept, Accept-Language, Content-Type"
    response.headers["Access-Control-Expose-Headers"] = "Link, Location, Content-Language, Vary"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


@bp.errorhandler(ServiceError)
def _error(error: ServiceError) -> Response:
    return _json({"error": {"code": error.code, "message": error.message}}, error.status,
                 "application/json")


def _json(body: dict, status: int, mimetype: str) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, indent=1), status, mimetype=mimetype)


def _preflight() -> Response:
    return Response(status=204, headers={"Allow": ", ".join(METHODS)})


def _raw_path() -> str:
    """The path as sent, still percent-encoded, so that %2F inside a lot stays in the lot."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    raw = raw.partition("?")[0]
    start = raw.find("/01/")
    return raw[start:] if start >= 0 else request.path


def _linkset_link(anchor: str) -> str:
    return (f'<{anchor}?linkType=linkset>; rel="linkset"; type="application/linkset+json"; '
            'title="Links for this item"')


@bp.route("/01/<path:_rest>", methods=METHODS)
def resolve(_rest: str):
    if request.method == "OPTIONS":
        return _preflight()
    link = parse_digital_link(_raw_path())
    item = find_published_item(db(), link.gtin)
    if item is None:
        raise NotFound(f"no published item has GTIN {link.gtin}")
    anchor = settings().public_url.rstrip("/") + link.path
    links = item_links(item, link, public_url=settings().public_url)
    requested = request.args.get("linkType")
    wanted_format = request.accept_mimetypes.best_match(["text/html", *LINKSET_TYPES],
                                                        default="text/html")
    if (requested or "").strip() in LINKSET_WORDS or (not requested
                                                      and wanted_format in LINKSET_TYPES):
        return _linkset_response(links, anchor, item, wanted_format)
    link_type = link_type_name(requested) if requested else "defaultLinkMulti"
    language, _source = negotiate_language(
        param=request.args.get("lang"), cookie=None,
        accept_languages=request.accept_languages, default=item.default_language)
    chosen = link_type and choose_link(links, link_type, language)
    if not chosen:
        raise NotFound(f"this item has no link of type {requested!r}")
    query = forwarded_query(request.query_string.decode("utf-8", "replace"))
    response = Response(status=307)
    response.headers["Location"] = redirect_target(chosen.href, query)
    response.headers["Link"] = _linkset_link(anchor)
    response.headers["Vary"] = "Accept, Accept-Language"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _linkset_response(links, anchor: str, item, wanted_format: str | None) -> Response:
    body = linkset(links, anchor=anchor,
                   description=item.title.get(item.default_language) or item.slug)
    mimetype = wanted_format if wanted_format in LINKSET_TYPES else LINKSET_TYPES[0]
    if mimetype == "application/ld+json":
        body = {"@context": LINKSET_CONTEXT, **body}
    response = _json(body, 200, mimetype)
    response.headers["Link"] = ", ".join([
        _linkset_link(anchor),
        f'<{LINKSET_CONTEXT}>; rel="http://www.w3.org/ns/json-ld#context"; '
        'type="application/ld+json"',
    ])
    response.headers["Vary"] = "Accept, Accept-Language"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/.well-known/gs1resolver", methods=METHODS)
def resolver_description():
    if request.method == "OPTIONS":
        return _preflight()
    response = _json(description(settings().public_url), 200, "application/json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
