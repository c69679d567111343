"""Flask extensions: i18n, CSRF, rate limits, login sessions, security headers."""

from __future__ import annotations

from flask import Flask, g, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin
from flask_wtf.csrf import CSRFProtect

from pathlib import Path
from motpub.domain import User
from motpub.services.language import negotiate_language
from motpub.web import ratelimits  # noqa: F401  (registers the sqlite:// limits storage)
from motpub.web.context import close_db, db, runtime

LANGUAGE_COOKIE = "motpub_lang"

babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
login_manager = LoginManager()


def ui_language() -> str:
    """The language of the interface: set by a page that negotiated it, else the visitor's."""
    if "language" in g:
        return g.language
    language, _source = negotiate_language(
        param=request.args.get("lang"),
        cookie=request.cookies.get(LANGUAGE_COOKIE),
        accept_languages=request.accept_languages,
        default="en",
    )
    return language


def init_app(app: Flask) -> None:
    settings = runtime_settings(app)
    app.teardown_appcontext(close_db)
    babel.init_app(
        app,
        locale_selector=ui_language,
        default_translation_directories=str(Path(__file__).resolve().parent.parent
                                            / "translations"),
    )
    csrf.init_app(app)
    app.config["RATELIMIT_STORAGE_URI"] = settings.ratelimit_storage_url
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "studio.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_user)
    app.after_request(_security_headers)
    app.jinja_env.globals["ui_language"] = ui_language


def runtime_settings(app: Flask):
    return app.extensions["motpub"].settings


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


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    )
    if runtime().settings.is_https:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
