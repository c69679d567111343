"""Per-request access to the runtime and the database session, and the request's unit of
work: one commit when the view returns."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from motpub.config import Settings
from motpub.database import commit
from motpub.errors import ServiceError

T = TypeVar("T")


def runtime():
    return current_app.extensions["motpub"]


def settings() -> Settings:
    return runtime().settings


def db() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db" not in g:
        g.db = runtime().session_factory()
    return g.db


class App(Flask):
    """Flask with one unit of work per request. What a view wrote is committed when it
    returns a response under 400, and rolled back when it returns an error or raises
    (before the error handlers run: a page about a failed write may still read). A commit
    that fails is an error like any other: a race answers 409 (web.errors)."""

    def dispatch_request(self):
        try:
            result = super().dispatch_request()
            if g.get("db") is None:  # nothing read or written: the scan page, mostly
                return result
            response = self.make_response(result)
            if response.status_code < 400:
                commit_request()
            else:
                roll_back_request()
        except Exception:
            # The error is what to answer; a connection too broken to roll back is closed
            # at teardown.
            with contextlib.suppress(Exception):
                roll_back_request()
            raise
        return response


def commit_request() -> None:
    """Commit what the request wrote, then run what its services registered for after the
    commit (database.after_commit)."""
    session = g.get("db")
    if session is not None:
        commit(session)


def roll_back_request() -> None:
    """Undo what the request wrote; what its services registered for after the commit is
    dropped."""
    session = g.get("db")
    if session is not None:
        session.rollback()


def attempt(change: Callable[[], T]) -> T | ServiceError:
    """Run `change`, service calls that may refuse it. On a refusal, undo what the request
    wrote (the page that shows the refusal reads the database as it was) and return it."""
    try:
        return change()
    except ServiceError as error:
        roll_back_request()
        return error


def close_db(_exc=None) -> None:
    session = g.pop("db", None)
    if session is not None:
        # Anything not committed (a before-request hook answered, or dispatching failed)
        # is rolled back: a failed request leaves the database as it was.
        session.rollback()
        session.close()
