"""The GS1 Digital Link resolver: /01/<gtin>[/22/<cpv>][/10/<lot>][/21/<serial>] redirects to
the item's page or answers its linkset, and /.well-known/gs1resolver describes the resolver.

Public, for retail scanners and phones alike: no authentication, CORS open to every origin.
The view is recorded by the item page the redirect lands on, so a resolver hop is not counted
twice.
"""

from __future__ import annotations

import json
from dataclasses import replace

from flask import Response, g, render_template, request

from motpub.errors import NotFound, ServiceError
from motpub.codes.services.gs1 import link_type_name, parse_digital_link
from motpub.i18n import negotiate_language
from motpub.items.services.pages import Field, pick
from motpub.codes.services.resolver import (
    description, find_published_item, forwarded_query, item_links, language_link_header,
    linkset, LINKSET_CONTEXT, LINKSET_WORDS, matching_links, redirect_target)
from motpub.web.audiences import public_blueprint
from motpub.web.context import db, settings
from motpub.web.pages import page_style, public_csp

bp = public_blueprint("codes_gs1", __name__)

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


def _preflight(link_header: str | None = None) -> Response:
    response = Response(status=204, headers={"Allow": ", ".join(METHODS)})
    if link_header:
        response.headers["Link"] = link_header
    return response


def _resolver_preflight() -> Response:
    """A CORS preflight of a Digital Link: with the Link to the item's linkset, which
    clients look for there too, when the link is well formed and leads to an item."""
    try:
        link = parse_digital_link(_raw_path())
    except ServiceError:
        return _preflight()  # a preflight is no place to refuse; the GET says why
    if find_published_item(db(), link.gtin) is None:
        return _preflight()
    return _preflight(_linkset_link(settings().public_url.rstrip("/") + link.path))


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
        return _resolver_preflight()
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
        return _with_languages(_linkset_response(links, anchor, item, wanted_format), links)
    return _with_languages(_resolved(links, requested, anchor, item, wanted_format), links)


def _with_languages(response: Response, links) -> Response:
    """A second Link field: the item's page in each language it has, with hreflang and its
    title in that language. The first keeps the linkset (and its context) alone, as the
    field's first value has always been; a client reading every Link field gets both."""
    if value := language_link_header(links):
        response.headers.add("Link", value)
    return response


def _resolved(links, requested: str | None, anchor: str, item,
              wanted_format: str | None) -> Response:
    """The redirect to the link a request selects, or the choices it cannot tell apart."""
    link_type = link_type_name(requested) if requested else "defaultLinkMulti"
    language, _source = negotiate_language(
        param=request.args.get("lang"), cookie=None,
        accept_languages=request.headers.get("Accept-Language", ""),
        default=item.default_language)
    choices = matching_links(links, link_type, language, item.default_language) \
        if link_type else []
    if not choices:
        raise NotFound(f"this item has no link of type {requested!r}")
    query = forwarded_query(request.query_string.decode("utf-8", "replace"))
    if len(choices) > 1:
        return _choices_response(choices, query, anchor, item, language, wanted_format)
    response = Response(status=307)
    response.headers["Location"] = redirect_target(choices[0].href, query)
    response.headers["Link"] = _linkset_link(anchor)
    response.headers["Vary"] = "Accept, Accept-Language"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _choices_response(choices, query: str, anchor: str, item, language: str,
                      wanted_format: str | None) -> Response:
    """300 Multiple Choices: the links the request could not choose between, each leading
    where its redirect would (the query string passed on), as a linkset for JSON clients
    and as a short page of links for browsers."""
    choices = [replace(one, href=redirect_target(one.href, query)) for one in choices]
    if wanted_format in LINKSET_TYPES:
        response = _linkset_response(choices, anchor, item, wanted_format)
        response.status_code = 300
        return response
    g.language = language  # the page's few words follow the visitor's language
    css, _hash = page_style(settings().templates_dir)
    title = pick(item.title, language, item.default_language) or Field(item.slug, language, False)
    html = render_template("public/gs1_choices.html", choices=choices, page_css=css,
                           page_language=language, title=title)
    response = Response(html, 300, mimetype="text/html")
    response.headers["Content-Security-Policy"] = public_csp()
    response.headers["Content-Language"] = language
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
