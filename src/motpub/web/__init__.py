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
from motpub.queue import Huey, Tasks
from motpub.storage import Storage

if TYPE_CHECKING:
    from motpub.analytics.services.scans import ScanRecorder


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
