"""Errors: JSON {"error": {"code", "message"}} under /api, a bilingual page elsewhere."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from motpub.services.errors import ServiceError, storage_failure
from motpub.storage import StorageFull, StorageUnavailable

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
        extra = {"field": error.field} if error.field else {}
        return api_error(error.status, error.message, error.code, **extra)
    return render_template("errors/error.html", status=error.status,
                           message=error.message), error.status


def _http_error(error: HTTPException):
    status = error.code or 500
    if is_api_request():
        return api_error(status, error.description or error.name)
    template = "errors/not_found.html" if status == 404 else "errors/error.html"
    return render_template(template, status=status, message=error.description), status


def _storage_error(error: StorageUnavailable):
    current_app.logger.error("storage failed: %s", error)
    return _service_error(storage_failure(isinstance(error, StorageFull)))


def _csrf_error(error: CSRFError):
    return render_template("errors/error.html", status=400,
                           message=error.description), 400


def _server_error(error: Exception):
    if is_api_request():
        return api_error(500, "internal error; it has been logged", "internal")
    return render_template("errors/error.html", status=500, message=None), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(StorageUnavailable, _storage_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _server_error)
