from __future__ import annotations

from motpub.i18n import N_, render_joined


class ServiceError(Exception):
    """An error a user can act on. `code` is stable and machine-readable."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None,
                 details: dict[str, object] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        # More for a client to act on, beside code, message and field (an image's id).
        self.details = details or {}


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Invalid(ServiceError):
    status = 422
    code = "invalid"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class StorageFailed(ServiceError):
    """The server's storage failed (a disk error, an unreachable bucket), not the request."""

    status = 503
    code = "storage_unavailable"


class InsufficientStorage(StorageFailed):
    """The server's storage is full."""

    status = 507
    code = "insufficient_storage"


def storage_failure(full: bool) -> StorageFailed:
    """What an editor is told when the server's storage fails: never that their file is."""
    if full:
        return InsufficientStorage(render_joined(N_(
            "the server's storage is full, so nothing was saved; your file is fine. Ask the "
            "operator to free space, then try again")))
    return StorageFailed(render_joined(N_(
        "the server's storage is not working right now, so nothing was saved; your file is "
        "fine. Try again later, or ask the operator")))
