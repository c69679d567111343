"""Errors: JSON {"error": {"code", "message"}} under /api, a bilingual page elsewhere."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError
from werkzeug.exceptions import HTTPException

from motpub.errors import Conflict, ServiceError, storage_failure
from motpub.storage import StorageFull, StorageUnavailable
from motpub.web.pages import not_found_response

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, message: str, code: str | None = None, **extra):
    payload = {"code": code or _CODES.get(status, "error"), "message": message, **extra}
    return jsonify({"error": payload}), status


def _service_error(error: ServiceError):
    if is_api_request():
        extra: dict[str, object] = {"field": error.field} if error.field else {}
        extra.update(error.details)
        return api_error(error.status, error.message, error.code, **extra)
    return render_template("errors/error.html", status=error.status,
                           message=error.message), error.status


def _http_error(error: HTTPException):
    status = error.code or 500
    if is_api_request():
        response = make_response(api_error(status, error.description or error.name))
    elif status == 404:  # the visitors' page, in their language
        response = not_found_response()
    else:
        response = make_response(
            render_template("errors/error.html", status=status, message=error.description),
            status)
    # The exception's own headers say what to do next: Allow on 405, Content-Range on 416,
    # Retry-After on 429, WWW-Authenticate on 401. Only the body is ours.
    headers = [(name, value) for name, value in error.get_headers()
               if name.lower() != "content-type"]
    for name in {name for name, _value in headers}:
        response.headers.pop(name, None)
    for name, value in headers:
        response.headers.add(name, value)
    return response


def _storage_error(error: StorageUnavailable):
    current_app.logger.error("storage failed: %s", error)
    return _service_error(storage_failure(isinstance(error, StorageFull)))


def _csrf_error(error: CSRFError):
    return render_template("errors/error.html", status=400,
                           message=error.description), 400


# SQLSTATEs of PostgreSQL and messages of SQLite for a row another request removed or took
# between our read and our write: a foreign key to it, or a unique value.
_RACE_STATES = {"23503", "23505"}
_RACE_MESSAGES = ("FOREIGN KEY constraint failed", "UNIQUE constraint failed")


def _changed_meanwhile(error: Exception):
    """A write that lost a race (the row was deleted, or changed so a constraint now fails
    between our read and our write) is a conflict the client can retry, not a server error.
    The request's unit of work is rolled back already (web.context.App)."""
    if isinstance(error, IntegrityError):
        state = getattr(error.orig, "sqlstate", None)
        if state not in _RACE_STATES and not str(error.orig).startswith(_RACE_MESSAGES):
            current_app.logger.error("integrity error", exc_info=error)
            return _server_error(error)
    return _service_error(Conflict(
        "it was changed or deleted by another request meanwhile; reload it and try again"))


def _server_error(error: Exception):
    if is_api_request():
        return api_error(500, "internal error; it has been logged", "internal")
    return render_template("errors/error.html", status=500, message=None), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(StorageUnavailable, _storage_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    for race in (StaleDataError, ObjectDeletedError, IntegrityError):
        app.register_error_handler(race, _changed_meanwhile)
    app.register_error_handler(500, _server_error)
