"""What every front door shares: the runtime create_app builds, the extensions, guards and
error handlers. The features' blueprints are registered by create_app."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from motpub.changes import TargetCache
from motpub.config import Settings
from motpub.events import Subscribers

if TYPE_CHECKING:
    from huey import Huey

    from motpub.analytics.services.scans import ScanRecorder


@dataclass
class Runtime:
    """What create_app built, reachable from handlers as current_app.extensions["motpub"]."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    scan_recorder: ScanRecorder
    queue: Huey
    storage: object
    # Set by create_app once the queue's tasks are registered (motpub.jobs.Tasks).
    tasks: object = None
    page_cache: dict = field(default_factory=dict)
    target_cache: TargetCache | None = None
    # Who hears of domain events (motpub.events); create_app subscribes them.
    subscribers: Subscribers = field(default_factory=Subscribers)


def register_extensions(app: Flask) -> None:
    from motpub.web import extensions, guards, observability

    guards.init_app(app)
    observability.init_app(app)  # after guards: its hook must run first
    extensions.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from motpub.web import errors, outage

    errors.init_app(app)
    outage.init_app(app)
