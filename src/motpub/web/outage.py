"""A database outage answers 503 with Retry-After, soon: never a hang, never a 500.

Visitors get a short page in their language with no way into the studio; the API its JSON
error; the studio its error page. /livez never touches the database, so a process that is
alive says so whatever the database does.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, render_template, request
from sqlalchemy import exc

from motpub.i18n import fallback_language
from motpub.web.context import settings
from motpub.web.errors import api_error, is_api_request
from motpub.web.pages import page_style, public_csp, visitor_language

RETRY_AFTER_S = 30
VISITOR_ENDPOINTS = {"codes_scan.scan", "items_public.item_page",
                     "exhibitions_public.exhibition_page"}

# What a database that is down, frozen or overloaded raises: no connection (OperationalError,
# InterfaceError on a connection that broke), or no connection free in the pool in time.
OUTAGE_ERRORS = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)


def init_app(app: Flask) -> None:
    for error_class in OUTAGE_ERRORS:
        app.register_error_handler(error_class, _unavailable)


def _unavailable(error: Exception):
    current_app.logger.warning("database unavailable: %s", str(error).splitlines()[0][:200])
    if is_api_request():
        response = api_error(503, "the database is not answering; try again shortly",
                             "unavailable")[0]
        response.status_code = 503
    elif request.endpoint in VISITOR_ENDPOINTS:
        response = _visitor_page()
    else:
        response = Response(render_template("errors/error.html", status=503, message=None),
                            503, mimetype="text/html")
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    response.headers["Cache-Control"] = "no-store"
    return response


def _visitor_page() -> Response:
    language, _source = visitor_language(fallback_language())
    g.language = language  # the interface strings follow the page's language
    css, _hash = page_style(settings().templates_dir)
    response = Response(render_template("errors/unavailable.html", page_css=css,
                                        page_language=language), 503, mimetype="text/html")
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Content-Security-Policy"] = public_csp()
    return response

