"""Per-request access to the runtime and the database session."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from motpub.config import Settings


def runtime():
    return current_app.extensions["motpub"]


def settings() -> Settings:
    return runtime().settings


def db() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db" not in g:
        g.db = runtime().session_factory()
    return g.db


def close_db(_exc=None) -> None:
    session = g.pop("db", None)
    if session is not None:
        # Anything not committed by the handler is rolled back: a failed request
        # leaves the database as it was.
        session.rollback()
        session.close()
