"""Probes and the root: liveness, health, readiness, the metrics scrape, the favicon, and
where / leads."""

from __future__ import annotations

import hmac

from flask import Response, jsonify, redirect, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from motpub import metrics
from motpub.database import time_limit
from motpub.media.services.jobs import count_jobs
from motpub.operations.services.health import readiness_checks
from motpub.web.audiences import public_blueprint
from motpub.web.context import db, runtime
from motpub.web.pages import HEALTH_CHECK_LIMIT_S

bp = public_blueprint("operations_public", __name__, is_limited=False)


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
    return redirect(url_for("items_studio.items"))


def _error(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


@bp.get("/metrics")
def scrape():
    token = runtime().settings.metrics_token
    if not token:
        return _error(404, "not_found", "metrics are off: set MOTPUB_METRICS_TOKEN")
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
            offered.strip().encode(), token.encode()):
        response = _error(401, "unauthorized", "metrics need the bearer token of "
                                               "MOTPUB_METRICS_TOKEN")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics.render(_read_now)
    return Response(body, content_type=content_type,
                    headers={"Cache-Control": "no-store"})


def _read_now():
    """The gauges read from the database at scrape time: jobs by kind and status."""
    try:
        with runtime().session_factory() as session:
            counts = count_jobs(session)
    except SQLAlchemyError:
        return  # the scrape still answers; motpub_jobs is missing while the database is
    yield ("motpub_jobs", "Jobs by kind and status (queued, running, failed), read from "
           "the database", ["kind", "status"],
           {(kind, status): float(number) for (kind, status), number in counts.items()})
