"""Request ids and metrics: `X-Request-Id` on every response, and `GET /metrics`.

The request id is the caller's `X-Request-Id` when it is short and plain (a proxy or load
balancer that made one), else a new random one; the access log line of the request carries
it (see web/server.py). Metrics are off unless MOTPUB_METRICS_TOKEN is set: the route then
answers only that bearer token, and every request is counted by its route template (never
its path, so a scanner trying random URLs adds no series).
"""

from __future__ import annotations

import re
import secrets
import time

from flask import Flask, Response, g, request

from motpub import metrics
from motpub.web.context import runtime

REQUEST_ID_HEADER = "X-Request-Id"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,64}")
UNMATCHED_ROUTE = "unmatched"  # no route: 404s of unknown paths, and 405s

def init_app(app: Flask) -> None:
    # First of the before-request hooks, so a request that another hook answers has an id.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)


def request_id() -> str:
    """This request's id (made now if the request never reached the before-request hook)."""
    if "request_id" not in g:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = offered if _SANE_REQUEST_ID.fullmatch(offered) else secrets.token_hex(16)
    return g.request_id


def _start() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _finish(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id()
    if runtime().settings.metrics_token:
        started = g.get("request_started")
        rule = request.url_rule
        metrics.observe_request(rule.rule if rule is not None else UNMATCHED_ROUTE,
                                response.status_code,
                                time.perf_counter() - started if started else 0.0)
    return response
