"""The composition root: create_app wires settings, adapters and front doors, nothing more."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from motpub import metrics, web
from motpub.changes import TargetCache, announce_content_changes, make_change_stamp
from motpub.cli import build_cli, register_commands
from motpub.config import Settings
from motpub.database import make_engine, make_session_factory, postgres_connect_args
from motpub.jobs import register_tasks
from motpub.queue import make_queue
from motpub.services.media_access import follow_publication
from motpub.services.scans import ScanRecorder
from motpub.services.visitors import country_lookup
from motpub.storage import count_failures, make_storage


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(
        "motpub",
        template_folder=str(settings.templates_dir),
        static_folder=str(settings.static_dir),
        static_url_path="/static",
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_https,
        SESSION_COOKIE_NAME="motpub_session",
        REMEMBER_COOKIE_SECURE=settings.is_https,
        WTF_CSRF_ENABLED=True,
        WTF_CSRF_TIME_LIMIT=None,
        JSON_SORT_KEYS=False,
    )
    if settings.trusted_proxies:
        # X-Forwarded-For is believed for exactly this many hops, never more: a client
        # can put anything in the header.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies,
                                x_proto=settings.trusted_proxies)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url,
                         connect_timeout_s=settings.db_connect_timeout_s,
                         statement_timeout_s=settings.db_statement_timeout_s)
    session_factory = make_session_factory(engine)
    change_stamp = make_change_stamp(settings.database_url, settings.data_dir,
                                     connect_args=postgres_connect_args(
                                         connect_timeout_s=settings.db_connect_timeout_s))
    announce_content_changes(session_factory, change_stamp)
    storage = make_storage(settings.storage_url, public_url=settings.public_url,
                           media_public_url=settings.media_public_url,
                           s3_endpoint_url=settings.s3_endpoint_url)
    observers: dict[str, Any] = {}
    if settings.metrics_token:
        backend = settings.storage_url.partition(":")[0]
        storage = count_failures(storage, lambda operation: metrics.storage_error(backend,
                                                                                  operation))
        observers = {"on_written": metrics.visits_recorded,
                     "on_buffered": metrics.visits_buffered}
    app.extensions["motpub"] = web.Runtime(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        scan_recorder=ScanRecorder(session_factory, country_of=country_lookup(
            settings.geoip_path) if settings.geoip_path else None, **observers),
        target_cache=TargetCache(change_stamp),
        queue=make_queue(settings.queue_url),
        storage=storage,
    )
    follow_publication(session_factory, app.extensions["motpub"].storage)
    app.extensions["motpub"].tasks = register_tasks(app)
    web.register_extensions(app)
    web.register_blueprints(app)
    web.register_errorhandlers(app)
    register_commands(app)
    return app


def main() -> None:
    """The `motpub` console script."""
    build_cli(create_app)()
