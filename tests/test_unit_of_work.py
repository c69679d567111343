"""The unit of work: what a service registers for after the commit happens only once the
commit succeeds, on both databases; a rollback or a failed commit drops it."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from motpub.database import after_commit, unit_of_work
from motpub.items.models import Item, ItemStatus
from motpub.events import ItemPublished, emit
from motpub.errors import Conflict
from motpub.items.services.items import get_item, publish_item
from motpub.web.context import db
from motpub.web.extensions import csrf


@pytest.fixture
def session_factory(app):
    return app.extensions["motpub"].session_factory


def _new_item(session, slug: str) -> Item:
    item = Item(slug=slug, status=ItemStatus.DRAFT, title={"en": slug})
    session.add(item)
    return item


def _slugs(session_factory) -> list[str]:
    with session_factory() as reader:
        return list(reader.scalars(select(Item.slug).order_by(Item.slug)))


def test_callbacks_run_after_the_commit_and_see_what_it_wrote(session_factory):
    seen = []
    with unit_of_work(session_factory) as session:
        _new_item(session, "ding")
        session.flush()
        after_commit(session, lambda: seen.append(_slugs(session_factory)))
        assert seen == []
    assert seen == [["ding"]]


def test_an_error_in_the_unit_rolls_it_back_and_drops_its_callbacks(session_factory):
    seen = []
    with pytest.raises(Conflict), unit_of_work(session_factory) as session:
        _new_item(session, "ding")
        session.flush()
        after_commit(session, lambda: seen.append("sent"))
        raise Conflict("refused")
    assert seen == []
    assert _slugs(session_factory) == []


def test_a_rollback_drops_the_callbacks_for_good(session_factory):
    seen = []
    with session_factory() as session:
        after_commit(session, lambda: seen.append("before any statement"))
        session.rollback()
        _new_item(session, "ding")
        session.flush()
        after_commit(session, lambda: seen.append("dropped"))
        session.rollback()
        session.commit()  # a later commit does not run what was dropped
    assert seen == []


def test_a_commit_that_fails_runs_no_callback(session_factory):
    with unit_of_work(session_factory) as session:
        _new_item(session, "ding")
    seen = []
    with pytest.raises(IntegrityError), unit_of_work(session_factory) as session:
        after_commit(session, lambda: seen.append("sent"))
        _new_item(session, "ding")  # written, and refused, at the commit
    assert seen == []
    assert _slugs(session_factory) == ["ding"]


def test_a_failing_callback_leaves_the_commit_and_the_others_and_is_raised(session_factory):
    seen = []

    def fail() -> None:
        raise RuntimeError("queue down")

    with pytest.raises(RuntimeError, match="queue down"), \
            unit_of_work(session_factory) as session:
        _new_item(session, "ding")
        after_commit(session, fail)
        after_commit(session, lambda: seen.append("second"))
    assert seen == ["second"]
    assert _slugs(session_factory) == ["ding"]


def test_a_released_savepoint_waits_for_the_real_commit(session_factory):
    seen = []
    with unit_of_work(session_factory) as session:
        _new_item(session, "ding")
        session.flush()
        with session.begin_nested():
            after_commit(session, lambda: seen.append("sent"))
        assert seen == []
    assert seen == ["sent"]


def test_an_event_reaches_subscribers_only_after_the_commit(app, session_factory):
    heard = []
    app.extensions["motpub"].subscribers.subscribe(ItemPublished, heard.append)
    with unit_of_work(session_factory) as session:
        item = _new_item(session, "ding")
        session.flush()
        emit(session, ItemPublished(item.id))
        assert heard == []
    assert heard == [ItemPublished(item.id)]
    with pytest.raises(Conflict), unit_of_work(session_factory) as session:
        emit(session, ItemPublished(item.id))
        raise Conflict("refused")
    assert heard == [ItemPublished(item.id)]


@pytest.fixture
def heard(app) -> list:
    heard: list = []
    app.extensions["motpub"].subscribers.subscribe(ItemPublished, heard.append)
    return heard


def _publish_then(app, outcome: str) -> None:
    """A route that publishes an item and then ends as `outcome` says."""

    @app.post("/_test/items/<int:item_id>/publish-then-<outcome>")
    def publish_then(item_id: int, outcome: str):
        item = publish_item(db(), get_item(db(), item_id))
        if outcome == "raise":
            raise Conflict("refused after publishing")
        if outcome == "answer-422":
            return {"refused": True}, 422
        if outcome == "fail-at-commit":
            db().add(Item(slug=item.slug, status=ItemStatus.DRAFT, title={}))  # flushed there
        return {"published": item.id}

    csrf.exempt(publish_then)


@pytest.fixture
def publish_route(app):
    _publish_then(app, "")
    return lambda item_id, outcome: app.test_client().post(
        f"/_test/items/{item_id}/publish-then-{outcome}")


def test_a_subscriber_hears_of_a_publish_once_the_request_commits(api, heard):
    item = api.create_item()
    assert heard == []
    assert api.post(f"/items/{item['id']}/publish").status_code == 200
    assert heard == [ItemPublished(item["id"])]
    assert api.post(f"/items/{item['id']}/publish").status_code == 200  # already: no event
    assert heard == [ItemPublished(item["id"])]


@pytest.mark.parametrize(("outcome", "status"), [
    ("raise", 409), ("answer-422", 422), ("fail-at-commit", 409)])
def test_a_request_that_fails_after_a_publish_keeps_the_item_a_draft_and_tells_nobody(
        api, heard, publish_route, outcome, status):
    item = api.create_item()
    response = publish_route(item["id"], outcome)
    assert response.status_code == status
    assert heard == []
    assert api.get(f"/items/{item['id']}").get_json()["status"] == "draft"
    assert publish_route(item["id"], "succeed").status_code == 200
    assert heard == [ItemPublished(item["id"])]
