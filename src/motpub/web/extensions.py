"""Flask extensions: i18n, CSRF, rate limits, login sessions, security headers."""

from __future__ import annotations


from flask import Flask, g, request
from flask_babel import Babel, Domain
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from motpub.i18n import negotiate_language
from motpub.i18n import (
    content_languages, direction, first_present, interface_default, language_name, own_name,
    TRANSLATIONS_DIR, babel_locale, translations)
from motpub.web import ratelimits  # noqa: F401  (registers the sqlite:// limits storage)
from motpub.web.context import close_db, runtime

LANGUAGE_COOKIE = "motpub_lang"


class _CatalogDomain(Domain):
    """Flask-Babel's words from the catalog the i18n kernel picks for the interface's
    language, the one `render` uses: gettext's own search would give zh-Hant and zh-TW the
    simplified zh catalog."""

    def get_translations(self):
        return translations(ui_language())


class _Babel(Babel):
    domain_instance = _CatalogDomain()


babel = _Babel()
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
        accept_languages=request.headers.get("Accept-Language", ""),
        default=interface_default(),
    )
    return language


def readers_languages() -> list[str]:
    """Every content language, the interface's first: how a text given in all of them is
    shown to an editor."""
    first = ui_language()
    return sorted(content_languages(), key=lambda lang: lang != first)


def init_app(app: Flask) -> None:
    settings = runtime_settings(app)
    app.teardown_appcontext(close_db)
    babel.init_app(
        app,
        # Babel's identifiers (zh_Hant, pt_BR): Flask-Babel cannot parse zh-Hant.
        locale_selector=lambda: babel_locale(ui_language()),
        default_translation_directories=str(TRANSLATIONS_DIR),
    )
    csrf.init_app(app)
    app.config["RATELIMIT_STORAGE_URI"] = settings.ratelimit_storage_url
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    limiter.init_app(app)
    # Who is signed in is the accounts feature's business (motpub.accounts.sessions).
    login_manager.init_app(app)
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    app.after_request(_security_headers)
    app.jinja_env.globals.update(
        ui_language=ui_language,
        readers_languages=readers_languages,
        content_languages=content_languages,
        own_name=own_name,
        direction=direction,  # "rtl" or "ltr", for dir attributes
        # A language's name in the interface's language: "Title (%(language)s)".
        language_name=lambda tag: language_name(tag, ui_language()),
        # A localized text in the interface's language, else the first language that has it.
        localized=lambda text: first_present(text, ui_language()),
    )


def runtime_settings(app: Flask):
    return app.extensions["motpub"].settings


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
