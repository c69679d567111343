"""The JSON API under /api/v1, authenticated with `Authorization: Bearer <token>`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, g, request

from motpub.domain import Role, User
from motpub.services.errors import Forbidden, ServiceError, Unauthorized
from motpub.services.users import user_for_token
from motpub.web.context import db
from motpub.web.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Token-authenticated requests carry no ambient credentials, so CSRF does not apply.
csrf.exempt(bp)


def current_api_user() -> User:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an API token as 'Authorization: Bearer <token>'")
    user = user_for_token(db(), token.strip())
    if user is None:
        raise Unauthorized("the API token is unknown or revoked")
    return user


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


from motpub.web.api import codes, items, openapi  # noqa: E402,F401  (routes register on bp)
