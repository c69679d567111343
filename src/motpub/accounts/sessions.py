"""Studio sign-in sessions: the user a session cookie stands for, checked on every request."""

from __future__ import annotations

from flask import Flask
from flask_login import UserMixin

from motpub.accounts.models import User
from motpub.web.context import db
from motpub.web.extensions import login_manager


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts_studio.login"
    login_manager.user_loader(_load_user)


class SessionUser(UserMixin):
    """The logged-in user as Flask-Login sees it; the domain User stays framework-free."""

    def __init__(self, user: User):
        self.user = user
        self.id = user.id
        self.email = user.email
        self.role = user.role

    def get_id(self) -> str:
        """What the session cookie holds: the user and their session version, so a cookie
        stops working once the version moves on (logout, new password, deactivation)."""
        return f"{self.user.id}:{self.user.session_version}"


def _load_user(session_id: str) -> SessionUser | None:
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db().get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return SessionUser(user)
