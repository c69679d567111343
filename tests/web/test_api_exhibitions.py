from __future__ import annotations

import pytest

from tests.factories import Api

EXHIBITION = {"slug": "bronzes", "title": {"zh": "青铜时代", "en": "The Bronze Age"}}


def create_exhibition(api, **fields) -> dict:
    response = api.post("/exhibitions", json={**EXHIBITION, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_exhibition_returns_201_with_id_and_defaults(api):
    created = create_exhibition(api, intro={"zh": "三千年前", "en": "Three thousand years ago"},
                                venue="Hall 2")
    assert isinstance(created["id"], int)
    assert created["title"] == EXHIBITION["title"] and created["venue"] == "Hall 2"
    assert created["timezone"] == "Asia/Shanghai"
    assert created["item_ids"] == [] and created["codes"] == []
    assert created["page_url"] == "http://motpub.test/x/bronzes"
    assert api.get(f"/exhibitions/{created['id']}").get_json() == created


def test_duplicate_exhibition_slug_is_409(api):
    create_exhibition(api)
    response = api.post("/exhibitions", json=EXHIBITION)
    assert response.status_code == 409
    assert response.get_json()["error"]["field"] == "slug"


@pytest.mark.parametrize("payload", [
    {"slug": "bronzes"},
    {**EXHIBITION, "title": {"zh": "", "en": " "}},
    {**EXHIBITION, "slug": "Not a slug!"},
    {**EXHIBITION, "timezone": "Mars/Olympus"},
    {**EXHIBITION, "starts_on": "2027-05-02", "ends_on": "2027-05-01"},
    {**EXHIBITION, "colour": "red"},
])
def test_invalid_exhibition_is_422_like_items_and_creates_nothing(api, payload):
    response = api.post("/exhibitions", json=payload)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid"
    assert api.get("/exhibitions").get_json()["exhibitions"] == []


def test_body_that_is_not_json_is_400(api):
    response = api.post("/exhibitions", data="slug=x", content_type="text/plain")
    assert response.status_code == 400


def test_patch_changes_only_given_fields_and_validates_timezone(api):
    created = create_exhibition(api, venue="Hall 2")
    response = api.patch(f"/exhibitions/{created['id']}",
                         json={"timezone": "Europe/Paris", "starts_on": "2027-05-01"})
    assert response.status_code == 200
    changed = response.get_json()
    assert changed["timezone"] == "Europe/Paris" and changed["starts_on"] == "2027-05-01"
    assert changed["venue"] == "Hall 2" and changed["title"] == EXHIBITION["title"]
    assert api.patch(f"/exhibitions/{created['id']}",
                     json={"ends_on": "2027-04-01"}).status_code == 422
    assert api.get(f"/exhibitions/{created['id']}").get_json()["ends_on"] is None


def test_put_items_sets_the_order_and_replaces_it(api):
    first, second, third = (api.create_item(slug=f"item-{n}")["id"] for n in range(3))
    exhibition = create_exhibition(api)
    path = f"/exhibitions/{exhibition['id']}/items"
    assert api.put(path, json={"item_ids": [third, first, second]}).get_json()["item_ids"] == \
        [third, first, second]
    assert api.put(path, json={"item_ids": [second, third]}).get_json()["item_ids"] == \
        [second, third]
    assert api.get(f"/exhibitions/{exhibition['id']}").get_json()["item_ids"] == [second, third]


@pytest.mark.parametrize("item_ids", [[1, 999], [1, 1], ["1"], "1"])
def test_put_items_with_unknown_or_repeated_ids_changes_nothing(api, item_ids):
    item = api.create_item()
    exhibition = create_exhibition(api)
    path = f"/exhibitions/{exhibition['id']}/items"
    assert api.put(path, json={"item_ids": [item["id"]]}).status_code == 200
    response = api.put(path, json={"item_ids": item_ids})
    assert response.status_code == 422
    assert api.get(f"/exhibitions/{exhibition['id']}").get_json()["item_ids"] == [item["id"]]


def test_delete_exhibition_keeps_its_items(api):
    item = api.create_item()
    exhibition = create_exhibition(api)
    api.put(f"/exhibitions/{exhibition['id']}/items", json={"item_ids": [item["id"]]})
    api.post(f"/exhibitions/{exhibition['id']}/codes")
    assert api.delete(f"/exhibitions/{exhibition['id']}").status_code == 204
    assert api.get(f"/exhibitions/{exhibition['id']}").status_code == 404
    assert api.get(f"/items/{item['id']}").status_code == 200


def test_entrance_code_belongs_to_the_exhibition_not_an_item(api):
    exhibition = create_exhibition(api)
    response = api.post(f"/exhibitions/{exhibition['id']}/codes", json={"label": "Entrance"})
    assert response.status_code == 201
    code = response.get_json()
    assert code["exhibition_id"] == exhibition["id"] and code["item_id"] is None
    assert code["url"] == f"http://motpub.test/s/{code['code']}" and code["label"] == "Entrance"
    assert api.get(f"/exhibitions/{exhibition['id']}").get_json()["codes"] == [code]
    # The print options work for an entrance code like for any other.
    assert api.get(f"/codes/{code['code']}/qr.png").status_code == 200


def test_analyst_reads_but_may_not_write(client, api, analyst_token):
    exhibition = create_exhibition(api)
    analyst = Api(client, analyst_token)
    assert analyst.get("/exhibitions").status_code == 200
    assert analyst.get(f"/exhibitions/{exhibition['id']}").status_code == 200
    assert analyst.post("/exhibitions", json={**EXHIBITION, "slug": "other"}).status_code == 403
    assert analyst.patch(f"/exhibitions/{exhibition['id']}", json={"venue": "x"}) \
        .status_code == 403
    assert analyst.put(f"/exhibitions/{exhibition['id']}/items", json={"item_ids": []}) \
        .status_code == 403
    assert analyst.delete(f"/exhibitions/{exhibition['id']}").status_code == 403
    assert analyst.post(f"/exhibitions/{exhibition['id']}/codes").status_code == 403
    assert analyst.get(f"/exhibitions/{exhibition['id']}/labels.pdf").status_code == 403
    assert client.get("/api/v1/exhibitions").status_code == 401


def test_unknown_exhibition_is_404(api):
    assert api.get("/exhibitions/999").status_code == 404
    assert api.put("/exhibitions/999/items", json={"item_ids": []}).status_code == 404
