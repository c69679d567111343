"""The composition root: create_app wires settings, adapters and front doors, nothing more."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from motpub import i18n, metrics, openapi, web
# Every feature's tables, so that each mapper finds the classes its relationships name
# (an item's images) before the first query, whichever front doors were imported.
from motpub import models as _models  # noqa: F401
from motpub.accounts import sessions as accounts_sessions, studio as accounts_studio
from motpub.analytics import api as analytics_api, ops as analytics_ops, public as analytics_public
from motpub.codes.api import (
    bulk as codes_bulk_api, codes as codes_api, label_jobs as codes_label_jobs_api)
from motpub.codes.public import gs1 as codes_gs1, scan as codes_scan
from motpub.codes.studio import bulk as codes_bulk_studio, codes as codes_studio
from motpub.coverage import api as coverage_api, studio as coverage_studio
from motpub.exhibitions import (
    api as exhibitions_api, public as exhibitions_public, studio as exhibitions_studio)
from motpub.items import api as items_api, public as items_public, studio as items_studio
from motpub.media import api as media_api, images_api as media_images_api, public as media_public
from motpub.operations import public as operations_public
from motpub.changes import TargetCache, announce_content_changes, make_change_stamp
from motpub.cli import build_cli, register_commands
from motpub.config import Settings
from motpub.database import make_engine, make_session_factory, postgres_connect_args
from motpub.events import Subscribers
from motpub.jobs import register_tasks
from motpub.queue import make_queue
from motpub.media.services.access import follow_publication
from motpub.analytics.services.scans import ScanRecorder
from motpub.analytics.services.visitors import country_lookup
from motpub.storage import count_failures, make_storage
from motpub.web.context import App


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    i18n.configure(settings.languages, settings.fallbacks)
    app = App(
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
    subscribers = Subscribers()  # every domain event's subscribers, wired below
    subscribers.attach(session_factory)
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
        subscribers=subscribers,
    )
    follow_publication(subscribers, session_factory, storage)
    app.extensions["motpub"].tasks = register_tasks(app)
    web.register_extensions(app)
    accounts_sessions.init_app(app)
    register_blueprints(app)
    web.register_errorhandlers(app)
    register_commands(app)
    return app


def register_blueprints(app: Flask) -> None:
    """Every front door, by feature. Each blueprint carries its audience's prefix and rules
    (motpub.web.audiences)."""
    for blueprint in (
        items_public.bp, items_studio.bp, items_api.bp,
        media_public.bp, media_api.bp, media_images_api.bp,
        codes_scan.bp, codes_gs1.bp, codes_studio.bp, codes_bulk_studio.bp, codes_api.bp,
        codes_bulk_api.bp, codes_label_jobs_api.bp,
        exhibitions_public.bp, exhibitions_studio.bp, exhibitions_api.bp,
        coverage_studio.bp, coverage_api.bp,
        analytics_public.bp, analytics_ops.bp, analytics_api.bp,
        accounts_studio.bp,
        operations_public.bp,
        openapi.bp,
    ):
        app.register_blueprint(blueprint)


def main() -> None:
    """The `motpub` console script."""
    build_cli(create_app)()
