"""Cached page lookups follow content changes made by any process, and only then query."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event, text

from motpub import database
from motpub.app import create_app
from motpub.items.services.items import get_item, publish_item, unpublish_item
from tests.factories import add_user, Api


@pytest.fixture
def other_app(settings):
    """A second web process on the same database and data directory, as gunicorn runs them."""
    app = create_app(settings)
    yield app
    runtime = app.extensions["motpub"]
    runtime.scan_recorder.flush()
    runtime.target_cache.close()
    runtime.engine.dispose()


def _code_lookups(app) -> list[str]:
    statements: list[str] = []

    @event.listens_for(app.extensions["motpub"].engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, *_args):
        if "FROM code" in statement:
            statements.append(statement)

    return statements


def _wait_for_status(client, path: str, status: int, seconds: float = 3.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if client.get(path).status_code == status:
            return time.monotonic() - start
        time.sleep(0.005)
    raise AssertionError(f"{path} never answered {status}")


def _wait_until_trusted(app) -> None:
    """On PostgreSQL nothing is cached until the process listens for change notices."""
    stamp = app.extensions["motpub"].target_cache.stamp
    start = time.monotonic()
    while stamp.current() != stamp.current():
        assert time.monotonic() - start < 3.0, "never started listening"
        time.sleep(0.01)


def test_repeated_scans_of_a_code_query_the_database_once(app, api, client):
    _item, code = api.published_item_with_code()
    _wait_until_trusted(app)
    lookups = _code_lookups(app)
    for _ in range(5):
        assert client.get(f"/s/{code}").status_code == 200
    assert len(lookups) == 1
    app.extensions["motpub"].scan_recorder.flush()
    with app.extensions["motpub"].engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM scan")).scalar() == 5


def test_unpublishing_in_another_process_takes_the_page_down_everywhere(app, other_app, api,
                                                                          client):
    item, code = api.published_item_with_code()
    other_client = other_app.test_client()
    _wait_until_trusted(other_app)
    assert other_client.get(f"/s/{code}").status_code == 200  # now cached over there

    assert api.post(f"/items/{item['id']}/unpublish").status_code == 200

    # At once on SQLite (one stat of the stamp file); within a notice's delay on PostgreSQL.
    assert _wait_for_status(other_client, f"/s/{code}", 404) < 1.0
    assert client.get(f"/s/{code}").status_code == 404


def test_an_edit_in_another_process_is_served_there_fresh(app, other_app, api, client):
    item, code = api.published_item_with_code()
    other_client = other_app.test_client()
    _wait_until_trusted(app)
    assert "Fresh title" not in client.get(f"/s/{code}?lang=en").text
    assert "Fresh title" not in other_client.get(f"/s/{code}").text

    other_api = Api(other_client, add_user(other_app, "second@example.org", "editor"))
    assert other_api.patch(f"/items/{item['id']}",
                           json={"title": {"zh": "新标题", "en": "Fresh title"}}).status_code == 200

    start = time.monotonic()
    while "Fresh title" not in client.get(f"/s/{code}?lang=en").text:
        assert time.monotonic() - start < 1.0, "the first process kept the old page"
        time.sleep(0.005)


def test_a_rolled_back_change_announces_nothing(app, api, client, session):
    item, code = api.published_item_with_code()
    _wait_until_trusted(app)
    assert client.get(f"/s/{code}").status_code == 200
    lookups = _code_lookups(app)
    unpublish_item(session, get_item(session, item["id"]))
    session.flush()
    session.rollback()
    assert client.get(f"/s/{code}").status_code == 200
    assert lookups == []  # still answered from the cache


def test_a_committed_change_in_a_plain_session_drops_the_cache(app, api, client, session):
    item, code = api.published_item_with_code()
    _wait_until_trusted(app)
    assert client.get(f"/s/{code}").status_code == 200
    row = get_item(session, item["id"])
    unpublish_item(session, row)
    session.commit()
    assert client.get(f"/s/{code}").status_code == 404
    publish_item(session, row)
    session.commit()
    assert client.get(f"/s/{code}").status_code == 200


def test_a_connection_killed_while_idle_is_replaced_without_a_failed_request(
        postgres_url, tmp_path, monkeypatch):
    from tests.support import make_settings

    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0.0)
    app = create_app(make_settings(tmp_path, postgres_url))
    engine = app.extensions["motpub"].engine
    client = app.test_client()
    try:
        assert client.get("/healthz").status_code == 200
        with engine.connect() as connection:  # the pooled connection, as the next request gets it
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        admin_engine = database.make_engine(postgres_url)
        with admin_engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            admin.commit()
        admin_engine.dispose()
        assert client.get("/healthz").status_code == 200
    finally:
        app.extensions["motpub"].target_cache.close()
        engine.dispose()
