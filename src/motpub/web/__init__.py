"""The HTTP front door: blueprints per audience (public, studio, api), thin handlers."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from motpub.changes import TargetCache
from motpub.config import Settings
from motpub.queue import Huey, Tasks
from motpub.services.scans import ScanRecorder
from motpub.storage import Storage


@dataclass
class Runtime:
    """What create_app built, reachable from handlers as current_app.extensions["motpub"]."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    scan_recorder: ScanRecorder
    queue: Huey
    storage: Storage
    # Set by create_app once the queue's tasks are registered (motpub.jobs).
    tasks: Tasks | None = None
    page_cache: dict[tuple[int, int, str], str] = field(default_factory=dict)
    target_cache: TargetCache | None = None


def register_extensions(app: Flask) -> None:
    from motpub.web import extensions, guards, observability

    guards.init_app(app)
    observability.init_app(app)  # after guards: its hook must run first
    extensions.init_app(app)


def register_blueprints(app: Flask) -> None:
    from motpub.web.api import bp as api_bp
    from motpub.web.beacons import bp as beacons_bp
    from motpub.web.gs1 import bp as gs1_bp
    from motpub.web.media import bp as media_bp
    from motpub.web.observability import bp as observability_bp
    from motpub.web.ops import bp as ops_bp
    from motpub.web.public import bp as public_bp
    from motpub.web.studio import bp as studio_bp
    # These add the exhibition pages to the public and studio blueprints: imported before
    # the blueprints are registered.
    from motpub.web import (exhibition_page, studio_bulk, studio_codes,  # noqa: F401
                            studio_exhibitions, studio_users)

    app.register_blueprint(public_bp)
    app.register_blueprint(studio_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(beacons_bp)
    app.register_blueprint(gs1_bp)
    app.register_blueprint(observability_bp)


def register_errorhandlers(app: Flask) -> None:
    from motpub.web import errors, outage

    errors.init_app(app)
    outage.init_app(app)
