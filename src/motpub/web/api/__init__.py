"""The JSON API under /api/v1, authenticated with `Authorization: Bearer <token>`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, g, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from motpub.database import unit_of_work
from motpub.domain import Role, User
from motpub.services.errors import Forbidden, ServiceError, Unauthorized
from motpub.services.users import mark_token_used, user_for_token
from motpub.web.context import db, runtime
from motpub.web.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Token-authenticated requests carry no ambient credentials, so CSRF does not apply.
csrf.exempt(bp)


def current_api_user() -> User:
    header = request.headers.get("Authorization", "")
    if not header and current_user.is_authenticated:
        return _studio_user()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an API token as 'Authorization: Bearer <token>'")
    user = user_for_token(db(), token.strip())
    if user is None:
        raise Unauthorized("the API token is unknown or revoked")
    # In a unit of work of its own, so the request's session stays read-only until it writes.
    with unit_of_work(runtime().session_factory) as session:
        mark_token_used(session, token.strip())
    return user


def _studio_user() -> User:
    """The studio's own scripts call the API with the session cookie; since a cookie rides
    along on any cross-site request, every change must also carry the page's CSRF token."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except ValidationError:
            raise Forbidden("the X-CSRFToken header is missing or wrong") from None
    return current_user.user


def requires(permission: Callable[[Role], bool]):
    """Authenticate the token and check its user's role allows `permission`."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = current_api_user()
            if not permission(user.role):
                raise Forbidden(f"the role {user.role.value} may not do this")
            g.api_user = user
            return view(*args, **kwargs)

        return wrapper

    return decorator


can_edit = Role.can_edit.fget
can_read_analytics = Role.can_read_analytics.fget


def can_see_stats(role: Role) -> bool:
    return role.can_edit or role.can_read_analytics


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ServiceError("the request body must be a JSON object "
                           "(Content-Type: application/json)")
    return data


@bp.after_request
def _unauthorized_challenge(response):
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="motpub"'
    response.headers["Cache-Control"] = "no-store"
    return response


from motpub.web.api import (  # noqa: E402,F401
    analytics, bulk, codes, exhibitions, items, label_jobs, openapi, videos)
