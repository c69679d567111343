from __future__ import annotations

import pytest

from motpub.items.models import Item
from tests.factories import Api, bearer


def count_items(app) -> int:
    with app.extensions["motpub"].session_factory() as session:
        return session.query(Item).count()


def test_create_item_returns_201_draft_with_page_url(api):
    response = api.post("/items", json={
        "title": {"zh": "青铜鼎", "en": "Bronze Ding"},
        "summary": {"zh": "商代晚期", "en": "Late Shang dynasty"},
        "body": {"zh": "## 简介\n\n礼器。", "en": "## About\n\nA ritual vessel."},
        "links": [{"url": "https://example.org/ding", "title": {"zh": "更多", "en": "More"}}],
    })
    assert response.status_code == 201
    item = response.get_json()
    assert item["status"] == "draft"
    assert item["slug"] == "bronze-ding"
    assert item["page_url"] == "http://motpub.test/i/bronze-ding"
    assert item["links"] == [{"url": "https://example.org/ding",
                              "title": {"zh": "更多", "en": "More"}}]
    assert api.get(f"/items/{item['id']}").get_json()["title"]["zh"] == "青铜鼎"


def test_item_with_only_a_chinese_title_gets_a_generated_slug_and_zh_default(api):
    item = api.post("/items", json={"title": {"zh": "玉琮"}}).get_json()
    assert item["slug"].startswith("item")
    assert item["default_language"] == "zh"


def test_duplicate_slug_is_409_and_creates_nothing(app, api):
    api.create_item(slug="ding")
    before = count_items(app)
    response = api.post("/items", json={"slug": "ding", "title": {"en": "Other"}})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"
    assert count_items(app) == before


def test_generated_slugs_do_not_collide(api):
    first = api.create_item(title={"en": "Jade cong"})
    second = api.create_item(title={"en": "Jade cong"})
    assert first["slug"] == "jade-cong" and second["slug"] != first["slug"]


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({}, 422),
        ({"title": {}}, 422),
        ({"title": {"zh": "  "}}, 422),
        ({"title": "just a string"}, 422),
        ({"title": {"fr": "Bonjour"}}, 422),
        ({"title": {"en": "x" * 201}}, 422),
        ({"title": {"en": "ok"}, "slug": "Not A Slug!"}, 422),
        ({"title": {"en": "ok"}, "links": [{"url": "javascript:alert(1)", "title": {"en": "x"}}]},
         422),
        ({"title": {"en": "ok"}, "links": [{"url": "https://ok.example", "title": {}}]}, 422),
        ({"title": {"en": "ok"}, "unknown": 1}, 422),
        ({"title": {"en": "ok"}, "default_language": "fr"}, 422),
        (["not", "an", "object"], 400),
    ],
)
def test_bad_item_input_is_rejected_with_json_error_and_nothing_written(app, api, payload,
                                                                          status):
    response = api.post("/items", json=payload)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] and error["message"]
    assert count_items(app) == 0


def test_malformed_json_is_400(api):
    response = api.post("/items", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_oversized_body_is_413(api):
    response = api.post("/items", json={"title": {"en": "x"}, "body": {"en": "y" * 2_000_000}})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_patch_changes_only_given_fields_and_bumps_revision(api):
    item = api.create_item(summary={"en": "Old summary"})
    response = api.patch(f"/items/{item['id']}", json={"title": {"en": "New title"}})
    assert response.status_code == 200
    changed = response.get_json()
    assert changed["title"] == {"en": "New title"}
    assert changed["summary"] == {"en": "Old summary"}
    assert changed["revision"] == item["revision"] + 1


def test_patch_to_a_taken_slug_is_409_and_leaves_item_unchanged(api):
    api.create_item(slug="one")
    two = api.create_item(slug="two")
    response = api.patch(f"/items/{two['id']}", json={"slug": "one", "title": {"en": "Changed"}})
    assert response.status_code == 409
    assert api.get(f"/items/{two['id']}").get_json()["title"]["en"] == "Bronze ding"


def test_publish_and_unpublish(api):
    item = api.create_item()
    published = api.post(f"/items/{item['id']}/publish").get_json()
    assert published["status"] == "published" and published["published_at"]
    assert api.post(f"/items/{item['id']}/unpublish").get_json()["status"] == "draft"


def test_unknown_item_is_404(api):
    for response in (api.get("/items/999"), api.patch("/items/999", json={}),
                     api.post("/items/999/publish"), api.post("/items/999/codes"),
                     api.get("/items/999/stats")):
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


def test_list_items_newest_first(api):
    api.create_item(slug="first")
    api.create_item(slug="second")
    listing = api.get("/items").get_json()
    assert [item["slug"] for item in listing["items"]] == ["second", "first"]
    assert listing["total"] == 2


def test_missing_or_bad_token_is_401_with_challenge(client):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/items", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_revoked_token_is_401(app, client, editor_token):
    from motpub.accounts.services import revoke_token

    with app.extensions["motpub"].session_factory() as session:
        revoke_token(session, editor_token)
        session.commit()
    assert client.get("/api/v1/items", headers=bearer(editor_token)).status_code == 401


def test_analyst_may_read_stats_but_not_edit(client, api, analyst_token):
    item = api.create_item()
    analyst = Api(client, analyst_token)
    assert analyst.post("/items", json={"title": {"en": "x"}}).status_code == 403
    assert analyst.get("/items").status_code == 403
    assert analyst.post(f"/items/{item['id']}/publish").status_code == 403
    assert analyst.get(f"/items/{item['id']}/stats").status_code == 200


def test_stats_count_only_scans_that_were_served_a_page(api, client):
    item, code = api.published_item_with_code()
    for _ in range(3):
        assert client.get(f"/s/{code}").status_code == 200
    client.get(f"/i/{item['slug']}")  # a view, not a scan
    api.post(f"/items/{item['id']}/unpublish")
    assert client.get(f"/s/{code}").status_code == 404
    stats = api.get(f"/items/{item['id']}/stats").get_json()
    assert (stats["scans"], stats["orphan_scans"]) == (3, 1)


def test_a_bad_slug_is_explained_in_words_not_as_a_pattern(api):
    error = api.post("/items", json={"title": {"en": "ok"}, "slug": "Bronze ding!"}) \
        .get_json()["error"]
    assert error["field"] == "slug"
    assert "lowercase letters a-z, digits and single hyphens" in error["message"]
    assert "^[a-z0-9]" not in error["message"]


def test_item_list_offset_beyond_a_64_bit_integer_answers_422_not_500(api):
    api.create_item()
    response = api.get("/items?offset=5115819786177852997632&limit=10")
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "offset"
    assert api.get("/items?limit=0").status_code == 422
    assert api.get("/items?limit=abc").status_code == 422
    assert len(api.get("/items?offset=0&limit=500").get_json()["items"]) == 1
