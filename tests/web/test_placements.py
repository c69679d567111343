"""Placements: a printed code is relabelled, disabled or retargeted, and its history kept."""

from __future__ import annotations

from sqlalchemy import select

from motpub.codes.models.code import Code
from motpub.analytics.models.scan import Scan


def _scans(app) -> list[Scan]:
    runtime = app.extensions["motpub"]
    runtime.scan_recorder.flush()
    with runtime.session_factory() as session:
        return list(session.scalars(select(Scan).order_by(Scan.id)))


def test_a_code_is_relabelled_and_its_history_kept(api):
    _item, code = api.published_item_with_code()
    response = api.patch(f"/codes/{code}", json={"label": "Hall 2, case 14"})
    assert response.status_code == 200, response.get_json()
    placement = response.get_json()
    assert placement["label"] == "Hall 2, case 14" and placement["enabled"] is True
    assert [change["label"] for change in placement["history"]] == ["Hall 1", "Hall 2, case 14"]
    assert api.get(f"/codes/{code}").get_json() == placement


def test_a_disabled_code_answers_the_bilingual_page_and_counts_as_an_orphan_scan(app, api,
                                                                                client):
    item, code = api.published_item_with_code()
    assert client.get(f"/s/{code}").status_code == 200
    assert api.patch(f"/codes/{code}", json={"enabled": False}).status_code == 200

    page = client.get(f"/s/{code}")
    assert page.status_code == 404
    assert "未找到此页面" in page.text and "Page not found" in page.text
    assert "青铜鼎" not in page.text  # the item is not revealed

    assert api.patch(f"/codes/{code}", json={"enabled": True}).status_code == 200
    assert client.get(f"/s/{code}").status_code == 200
    scans = _scans(app)
    assert [scan.is_orphan for scan in scans] == [False, True, False]
    assert {scan.item_id for scan in scans} == {item["id"]}


def test_a_code_of_an_unpublished_item_counts_as_an_orphan_scan(app, api, client):
    item, code = api.published_item_with_code()
    assert api.post(f"/items/{item['id']}/unpublish").status_code == 200
    assert client.get(f"/s/{code}").status_code == 404
    assert [scan.is_orphan for scan in _scans(app)] == [True]


def test_a_retargeted_code_opens_the_new_item_and_old_scans_stay_with_the_old(app, api,
                                                                            client):
    old, code = api.published_item_with_code()
    new = api.create_item(title={"zh": "玉琮", "en": "Jade cong"})
    assert api.post(f"/items/{new['id']}/publish").status_code == 200
    assert "Bronze ding" in client.get(f"/s/{code}?lang=en").text

    placement = api.patch(f"/codes/{code}", json={"item_id": new["id"]}).get_json()
    assert placement["item_id"] == new["id"]
    assert [change["item_id"] for change in placement["history"]] == [old["id"], new["id"]]
    page = client.get(f"/s/{code}?lang=en")
    assert page.status_code == 200 and "Jade cong" in page.text
    assert [scan.item_id for scan in _scans(app)] == [old["id"], new["id"]]


def test_bad_changes_are_refused_and_change_nothing(app, api, client, analyst_token):
    item, code = api.published_item_with_code()
    for payload, field in (({"item_id": 999_999}, "item_id"), ({"item_id": "2"}, "item_id"),
                           ({"enabled": "no"}, "enabled"), ({"enabled": None}, "enabled"),
                           ({"label": "x" * 201}, "label"), ({"colour": "red"}, "colour")):
        response = api.patch(f"/codes/{code}", json=payload)
        assert response.status_code == 422, payload
        assert response.get_json()["error"]["field"] == field, payload
    assert api.patch(f"/codes/{code}", data="enabled=false").status_code in (400, 422)
    assert api.patch("/codes/nocode23", json={"label": "x"}).status_code == 404
    assert client.patch(f"/api/v1/codes/{code}", json={"enabled": False}).status_code == 401
    analyst = client.patch(f"/api/v1/codes/{code}", json={"enabled": False},
                           headers={"Authorization": f"Bearer {analyst_token}"})
    assert analyst.status_code == 403

    placement = api.get(f"/codes/{code}").get_json()
    assert placement["enabled"] is True and placement["item_id"] == item["id"]
    assert len(placement["history"]) == 1
    assert client.get(f"/s/{code}").status_code == 200


def test_entrance_code_opens_the_exhibition_and_item_scans_count_in_it(app, api, client,
                                                                       session):
    item, code = api.published_item_with_code()
    exhibition = api.post("/exhibitions", json={
        "slug": "bronze-age", "title": {"zh": "青铜时代", "en": "The Bronze Age"}}).get_json()
    assert api.put(f"/exhibitions/{exhibition['id']}/items",
                   json={"item_ids": [item["id"]]}).status_code == 200
    entrance = api.post(f"/exhibitions/{exhibition['id']}/codes", json={}).get_json()["code"]

    page = client.get(f"/s/{entrance}?lang=en")
    assert page.status_code == 200 and "The Bronze Age" in page.text
    assert "Bronze ding" in page.text  # its items are listed
    assert client.get(f"/s/{code}").status_code == 200

    scans = _scans(app)
    assert [(scan.item_id, scan.exhibition_id) for scan in scans] == [
        (None, exhibition["id"]), (item["id"], exhibition["id"])]
    assert scans[0].code_id == session.scalar(select(Code.id).where(Code.code == entrance))

    assert api.patch(f"/codes/{entrance}", json={"enabled": False}).status_code == 200
    assert client.get(f"/s/{entrance}").status_code == 404
    assert _scans(app)[-1].is_orphan
