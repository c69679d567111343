from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from motpub.codes.models.code import Code
from motpub.analytics.models.engagement import Engagement, EngagementKind


def engagements(app) -> list[Engagement]:
    runtime = app.extensions["motpub"]
    runtime.scan_recorder.flush()
    with runtime.session_factory() as session:
        return list(session.scalars(select(Engagement).order_by(Engagement.id)))


def send(client, payload, **kwargs):
    # sendBeacon posts a string body as text/plain; the endpoint reads JSON either way.
    return client.post("/e", data=json.dumps(payload), content_type="text/plain", **kwargs)


def test_beacons_are_recorded_without_cookies(app, api, client):
    item, _code = api.published_item_with_code()
    for kind, value in (("video_start", 840), ("video_progress", 25), ("watch_time", 31.5),
                        ("read_depth", 50), ("language_switch", None)):
        response = send(client, {"i": item["id"], "s": "p4g3sess1on", "k": kind, "v": value,
                                 "l": "zh"})
        assert response.status_code == 204 and "Set-Cookie" not in response.headers
    recorded = engagements(app)
    assert [(e.kind, e.value) for e in recorded] == [
        (EngagementKind.VIDEO_START, 840), (EngagementKind.VIDEO_PROGRESS, 25),
        (EngagementKind.WATCH_TIME, 31.5), (EngagementKind.READ_DEPTH, 50),
        (EngagementKind.LANGUAGE_SWITCH, None)]
    assert {e.page_session for e in recorded} == {"p4g3sess1on"}


@pytest.mark.parametrize("payload", [
    None, [], {"i": 1}, {"i": "1", "s": "p4g3sess1on", "k": "video_start"},
    {"i": 1, "s": "short", "k": "video_start"},
    {"i": 1, "s": "p4g3sess1on", "k": "dance"},
    {"i": 1, "s": "p4g3sess1on", "k": "video_progress", "v": 33},
    {"i": 1, "s": "p4g3sess1on", "k": "watch_time", "v": -1},
    {"i": 1, "s": "p4g3sess1on", "k": "watch_time", "l": "fr"},
    {"i": 1, "s": "p4g3sess1on", "k": "watch_time", "c": 42},
    {"i": 1, "s": "p4g3sess1on", "k": "watch_time", "c": "<script>"},
])
def test_bad_beacons_are_400_and_recorded_nowhere(app, api, client, payload):
    api.published_item_with_code()
    response = send(client, payload)
    assert response.status_code == 400
    assert response.get_json()["error"]["message"]
    assert engagements(app) == []


def test_a_beacon_keeps_the_code_of_its_page_only_when_it_leads_to_its_item(app, api, client):
    item, code = api.published_item_with_code()
    other, other_code = api.published_item_with_code(slug="other-thing")
    page = client.get(f"/s/{code}").text
    assert f'data-code="{code}"' in page
    assert client.get(f"/i/{item['slug']}").text.count('data-code=""') == 1
    assert client.get(f"/s/{other_code}").text.count(f'data-code="{other_code}"') == 1
    for claimed in (code, other_code, "nosuchcode", None):
        payload = {"i": item["id"], "s": "p4g3sess1on", "k": "video_start"}
        if claimed:
            payload["c"] = claimed
        assert send(client, payload).status_code == 204
    with app.extensions["motpub"].session_factory() as session:
        code_id = session.scalar(select(Code.id).where(Code.code == code))
    assert [e.code_id for e in engagements(app)] == [code_id, None, None, None]
    assert other["id"] != item["id"]


def test_beacons_for_unknown_or_unpublished_items_are_dropped_quietly(app, api, client):
    item = api.create_item()
    assert send(client, {"i": item["id"], "s": "p4g3sess1on", "k": "video_start"}).status_code \
        == 204
    assert send(client, {"i": 999999, "s": "p4g3sess1on", "k": "video_start"}).status_code == 204
    assert engagements(app) == []


def test_a_burst_of_beacons_meets_the_rate_limit_with_429_never_500(app, api, client):
    item, _code = api.published_item_with_code()
    statuses = [send(client, {"i": item["id"], "s": "p4g3sess1on", "k": "watch_time",
                              "v": n}).status_code for n in range(150)]
    assert set(statuses) == {204, 429}
    assert statuses.count(204) == 120
    assert len(engagements(app)) == 120


def test_oversized_beacon_is_refused(client):
    response = send(client, {"i": 1, "s": "p4g3sess1on", "k": "video_start", "x": "y" * 4000})
    assert response.status_code == 400
