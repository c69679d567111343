"""Who may do what: the API's bearer tokens (or the studio's own session with its CSRF
token), and the studio's sign-in and role checks. Every front door takes its checks from here."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from urllib.parse import urlsplit

from flask import abort, g, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from motpub.accounts.models import Role, User
from motpub.errors import Forbidden, Unauthorized
from motpub.accounts.services import mark_token_used, user_for_token
from motpub.database import unit_of_work
from motpub.web.context import db, runtime

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


def role_required(permission: Callable[[Role], bool]):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not permission(current_user.role):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


editor_required = role_required(lambda role: role.can_edit)
admin_required = role_required(lambda role: role.can_manage_users)


def safe_next(target: str | None, *, home: str = "items_studio.items") -> str:
    """`target` if it is a path on this site, else the home page. Browsers read a backslash
    as a slash and drop tabs and newlines, so `/\\host` and `/<tab>/host` would leave the site;
    and a control character cannot go into a Location header at all."""
    if target and target.startswith("/") and "\\" not in target \
            and not any(ord(char) < 0x20 or ord(char) == 0x7F for char in target) \
            and not target.startswith("//") and not urlsplit(target).netloc \
            and not urlsplit(target).scheme:
        return target
    return url_for(home)
