"""Hostile input: NUL and other control characters, ids past 32 bits, deeply nested JSON.
Each is refused before the database sees it, so SQLite and PostgreSQL answer alike."""

from __future__ import annotations

import json

import pytest

from motpub.inputs import MAX_ID
from tests.factories import add_user, bearer
from tests.support import csrf_token, login

TOO_BIG = [MAX_ID + 1, 3_000_000_000, 2**63, 99999999999999999999]


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("path", [
    "/s/%00", "/s/ab%00cd", "/i/a%00b", "/x/%00", "/01/0950600013435%00",
    "/01/09506000134352/10/AB%00", "/studio/codes/%00", "/api/v1/codes/%00",
    "/api/v1/codes/a%01b/qr.svg", "/media/videos/%00/master.m3u8",
])
def test_nul_byte_in_a_lookup_path_answers_404(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path, payload, field", [
    ("/items", {"title": {"zh": "鼎\x00", "en": "Ding"}}, "title"),
    ("/items", {"title": {"en": "Ding"}, "slug": "ding\x00"}, "slug"),
    ("/items", {"title": {"en": "Ding"}, "body": {"en": "a\x00b"}}, "body"),
    ("/items", {"title": {"en": "Ding"}, "links": [
        {"url": "https://example.org", "title": {"en": "x\x07"}}]}, "links"),
    ("/exhibitions", {"slug": "hall", "title": {"en": "Hall"}, "venue": "Hall\x00 2"}, "venue"),
    ("/codes/batch", {"item_ids": [1], "label": "case\x00"}, "label"),
])
def test_nul_byte_in_json_text_answers_422_naming_the_field(api, path, payload, field):
    response = api.post(path, json=payload)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["field"].split(".")[0] == field


def test_nul_byte_in_text_the_models_never_see_answers_422_naming_the_field(api):
    item = api.create_item()
    label = api.post(f"/items/{item['id']}/codes", json={"label": "Hall\x001"})
    assert label.status_code == 422 and label.get_json()["error"]["field"] == "label"
    video = api.post(f"/items/{item['id']}/videos", json={
        "filename": "clip\x00.mp4", "size_bytes": 1000, "content_type": "video/mp4"})
    assert video.status_code == 422 and video.get_json()["error"]["field"] == "filename"
    code = api.post(f"/items/{item['id']}/codes").get_json()["code"]
    patch = api.patch(f"/codes/{code}", json={"label": "\x00"})
    assert patch.status_code == 422 and patch.get_json()["error"]["field"] == "label"
    assert api.get(f"/codes/{code}").get_json()["label"] == ""


def test_markdown_keeps_tabs_and_line_breaks_but_a_title_refuses_them(api):
    item = api.create_item(body={"en": "# Ding\r\n\n\tcode"}, summary={"en": "one\ntwo"})
    assert item["body"]["en"] == "# Ding\r\n\n\tcode" and item["summary"]["en"] == "one\ntwo"
    response = api.post("/items", json={"title": {"en": "Bronze\nding"}})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "title"


def test_nul_byte_in_a_csv_import_is_refused_and_nothing_is_imported(api):
    body = "slug,title_en\r\nding,Bronze\x00 ding\r\n"
    response = api.post("/items/import", data=body.encode(), content_type="text/csv")
    assert response.status_code == 422
    assert api.get("/items").get_json()["total"] == 0


def test_nul_byte_in_an_analytics_filter_answers_422_naming_it(client, analyst_token):
    response = client.get("/api/v1/analytics/summary?code=%00ab",
                          headers=bearer(analyst_token))
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "code"


def test_nul_byte_in_a_studio_form_is_a_translated_form_error(app, client):
    add_user(app, "editor@example.org", "editor")
    assert login(client, "editor@example.org").status_code == 302
    client.get("/studio/language/zh")
    page = client.get("/studio/items/new")
    response = client.post("/studio/items/new", data={
        "csrf_token": csrf_token(page.text), "title_zh": "鼎\x00", "title_en": "Ding",
        "default_language": "zh"})
    assert response.status_code == 422
    assert "请删除此字段中的控制字符" in response.text
    assert "/studio/items/" not in response.headers.get("Location", "")


def test_nul_byte_in_the_login_form_is_a_form_error_not_a_500(app, client):
    page = client.get("/studio/login")
    response = client.post("/studio/login", data={
        "csrf_token": csrf_token(page.text), "email": "a\x00@example.org", "password": "x"})
    assert response.status_code in (200, 400, 401, 422)
    assert "control characters" in response.text


@pytest.mark.parametrize("number", [MAX_ID + 1, 99999999999999999999])
@pytest.mark.parametrize("method, path", [
    ("get", "/api/v1/items/{n}"), ("patch", "/api/v1/items/{n}"),
    ("get", "/api/v1/items/{n}/codes"), ("post", "/api/v1/items/{n}/publish"),
    ("get", "/api/v1/exhibitions/{n}"), ("delete", "/api/v1/exhibitions/{n}"),
    ("get", "/api/v1/videos/{n}"), ("get", "/studio/items/{n}"),
    ("get", "/studio/exhibitions/{n}"),
])
def test_id_beyond_32_bits_in_a_route_answers_404(client, editor_token, method, path, number):
    response = getattr(client, method)(path.format(n=number), headers=bearer(editor_token),
                                       json={})
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/videos/99999999999999999999/parts/1",
                                  "/api/v1/videos/1/parts/99999999999999999999",
                                  "/api/v1/videos/2147483648/parts/1"])
def test_part_upload_with_an_id_beyond_32_bits_answers_404_without_a_token(client, path):
    assert client.put(path, data=b"x").status_code == 404


@pytest.mark.parametrize("number", TOO_BIG + [0, -1])
def test_id_out_of_range_in_a_body_answers_422(api, number):
    item = api.create_item()
    exhibition = api.post("/exhibitions", json={"slug": "hall", "title": {"en": "Hall"}})
    exhibition_id = exhibition.get_json()["id"]
    code = api.post(f"/items/{item['id']}/codes").get_json()["code"]
    for method, path, payload in [
        ("post", "/codes/batch", {"item_ids": [item["id"], number]}),
        ("put", f"/exhibitions/{exhibition_id}/items", {"item_ids": [number]}),
        ("patch", f"/codes/{code}", {"item_id": number}),
    ]:
        response = getattr(api, method)(path, json=payload)
        assert response.status_code == 422, (path, response.get_json())


@pytest.mark.parametrize("query", ["item_id=2147483648", "exhibition_id=99999999999999999999",
                                   "item_id=%C2%B2", "item_id=0", "exhibition_id=-3"])
def test_id_out_of_range_in_an_analytics_query_answers_422(client, analyst_token, query):
    response = client.get(f"/api/v1/analytics/summary?{query}", headers=bearer(analyst_token))
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == query.partition("=")[0]


@pytest.mark.parametrize("number", TOO_BIG)
def test_beacon_with_an_id_beyond_32_bits_answers_400(client, number):
    response = client.post("/e", data=json.dumps(
        {"i": number, "s": "p4g3sess1on", "k": "video_start"}), content_type="text/plain")
    assert response.status_code == 400


def test_openapi_states_the_bounds_of_every_id(client):
    document = client.get("/api/v1/openapi.json").get_json()
    seen = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("in") in ("path", "query") and node["name"].endswith("_id"):
                seen.append((node["name"], node["schema"].get("minimum"),
                             node["schema"].get("maximum")))
            for name, schema in (node.get("properties") or {}).items():
                if name == "id" or name.endswith("_id"):
                    seen.append((name, schema.get("minimum"), schema.get("maximum")))
                if name.endswith("_ids"):
                    seen.append((name, schema["items"].get("minimum"),
                                 schema["items"].get("maximum")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    names = {name for name, *_bounds in seen}
    assert {"item_id", "video_id", "exhibition_id", "id", "item_ids"} <= names
    assert all(bounds == [1, MAX_ID] for _name, *bounds in seen), seen


@pytest.mark.parametrize("path", ["/e", "/api/v1/items", "/api/v1/codes/batch"])
def test_deeply_nested_json_answers_400_with_a_json_error(client, editor_token, path):
    body = deep(1000)  # 2 KB: past the parser's recursion limit
    response = client.post(path, data=body, content_type="application/json",
                           headers=bearer(editor_token))
    assert response.status_code == 400
    assert "nested" in response.get_json()["error"]["message"]


def test_json_nested_past_the_limit_is_refused_and_within_it_accepted(api):
    too_deep = {"title": {"en": "Ding"}, "links": json.loads(deep(32))}
    response = api.post("/items", json=too_deep)
    assert response.status_code == 400 and "32" in response.get_json()["error"]["message"]
    assert api.post("/items", json={"title": {"en": "Ding"}, "links": [
        {"url": "https://example.org", "title": {"en": "x"}}]}).status_code == 201
