"""Guards on what every request brings, in one place for all routes: ids in paths, control
characters in paths and query strings, JSON bodies, and the host of redirects.

PostgreSQL refuses NUL and ids past 2^31 - 1 where SQLite takes them; a parser recursing
through nested JSON runs out of stack. Each is refused here before a handler sees it.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import Flask, abort, redirect, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter, RequestRedirect

from motpub.errors import Invalid, ServiceError
from motpub.inputs import CONTROL_MESSAGE, MAX_ID, has_control_character
from motpub.web.context import settings

MAX_JSON_DEPTH = 32


def _numbers_up_to(limit: int) -> str:
    """A regular expression for 1 to `limit`, written without leading zeros."""
    digits = str(limit)
    options = [rf"[1-9]\d{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for position, digit in enumerate(digits):
        lowest, highest = (1 if position == 0 else 0), int(digit) - 1
        if highest >= lowest:
            rest = len(digits) - position - 1
            options.append(f"{digits[:position]}[{lowest}-{highest}]"
                           + (rf"\d{{{rest}}}" if rest else ""))
    options.append(digits)
    return "(?:" + "|".join(options) + ")"


class IdConverter(IntegerConverter):
    """A whole number in a route (an id, a part number): 1 to 2^31 - 1. Any other number
    matches no route, so it answers 404 instead of reaching the database. The range is in
    the pattern itself: a converter refusing a value after the match makes Werkzeug answer
    405 when a rule for another method matched first."""

    regex = _numbers_up_to(MAX_ID)

    def __init__(self, map, fixed_digits: int = 0, min: int = 1, max: int = MAX_ID,
                 signed: bool = False):
        super().__init__(map, fixed_digits, min, max, signed)


class JSONTooDeep(ServiceError):
    status = 400
    code = "too_deep"


def load_json(data: str | bytes, **kwargs) -> object:
    """Parse a request's JSON: at most MAX_JSON_DEPTH levels deep, no control characters
    in any string but tab and line breaks (multi-line fields refuse those too, later)."""
    try:
        document = json.loads(data, **kwargs)
    except RecursionError:
        document = None
        depth_exceeded = True
    else:
        depth_exceeded = False
    # Iterative, so neither nesting nor width can exhaust the stack.
    pending: list[tuple[object, str, int]] = [(document, "", 1)]
    while pending and not depth_exceeded:
        value, where, depth = pending.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                depth_exceeded = True
                break
            entries = value.items() if isinstance(value, dict) else enumerate(value)
            for key, inner in entries:
                path = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and has_control_character(key, multiline=True):
                    raise Invalid(f"{path}: names {CONTROL_MESSAGE}", field=path)
                pending.append((inner, path, depth + 1))
        elif isinstance(value, str) and has_control_character(value, multiline=True):
            raise Invalid(f"{where or 'body'}: {CONTROL_MESSAGE}", field=where or None)
    if depth_exceeded:
        raise JSONTooDeep(f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep")
    return document


class GuardedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, parsing every request body through load_json."""

    def loads(self, s: str | bytes, **kwargs) -> object:
        return load_json(s, **kwargs)


def _refuse_control_characters():
    # A route parameter (a code, a slug, a GS1 path) with a control character names nothing.
    if has_control_character(request.path):
        abort(404)
    # Query values may carry tabs and line breaks (a `next` URL is checked by its page).
    for name, value in request.args.items(multi=True):
        if has_control_character(name + value, multiline=True):
            message = f"{name!r}: query parameters {CONTROL_MESSAGE}"
            if request.path.startswith("/api/"):
                raise Invalid(message, field=name)
            if request.blueprint == "codes_gs1":  # the resolver answers machines: JSON, as its 400s
                raise ServiceError(message, field=name)
            abort(400)


def _redirect_from_public_url():
    """Werkzeug's own redirects (a missing trailing slash, merged slashes) name the host the
    request gave; they are answered here from the public URL instead, like every other URL."""
    exception = request.routing_exception
    if isinstance(exception, RequestRedirect):
        target = urlsplit(exception.new_url)
        location = settings().public_url.rstrip("/") + target.path
        if target.query:
            location += "?" + target.query
        return redirect(location, exception.code)
    return None


def init_app(app: Flask) -> None:
    """Before the blueprints are registered: their routes compile with the converter."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["id"] = IdConverter
    app.json = GuardedJSONProvider(app)
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_control_characters)
    app.before_request_funcs[None].insert(1, _redirect_from_public_url)


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ServiceError("the request body must be a JSON object "
                           "(Content-Type: application/json)")
    return data
