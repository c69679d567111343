from __future__ import annotations

import re
import subprocess

import pytest

from motpub.codes.models.code import CODE_ALPHABET


def test_create_code_returns_short_random_code_and_configured_url(api):
    item = api.create_item()
    response = api.post(f"/items/{item['id']}/codes", json={"label": "Hall 2, case 14"})
    assert response.status_code == 201
    code = response.get_json()
    assert set(code) >= {"code", "url", "label", "enabled"}
    assert len(code["code"]) >= 7 and set(code["code"]) <= set(CODE_ALPHABET)
    assert not set(code["code"]) & set("0O1lI")
    assert code["url"] == f"http://motpub.test/s/{code['code']}"
    assert code["label"] == "Hall 2, case 14" and code["enabled"] is True


def test_code_without_body_and_many_codes_are_distinct(api):
    item = api.create_item()
    values = {api.post(f"/items/{item['id']}/codes").get_json()["code"] for _ in range(20)}
    assert len(values) == 20
    listed = api.get(f"/items/{item['id']}/codes").get_json()["codes"]
    assert {code["code"] for code in listed} == values


def test_bad_code_label_is_422(api):
    item = api.create_item()
    assert api.post(f"/items/{item['id']}/codes", json={"label": "x" * 201}).status_code == 422
    assert api.post(f"/items/{item['id']}/codes", json={"label": 5}).status_code == 422


def test_qr_url_ignores_the_request_host(api):
    item = api.create_item()
    code = api.post(f"/items/{item['id']}/codes",
                    headers={"Host": "evil.example"}).get_json()
    assert code["url"].startswith("http://motpub.test/s/")


@pytest.mark.parametrize(("extension", "mimetype", "magic"), [
    ("svg", "image/svg+xml", b"<svg"),
    ("png", "image/png", b"\x89PNG"),
    ("pdf", "application/pdf", b"%PDF"),
])
def test_qr_downloads_in_three_formats(api, extension, mimetype, magic):
    _item, code = api.published_item_with_code()
    response = api.get(f"/codes/{code}/qr.{extension}")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.data.startswith(magic)
    assert f"motpub-{code}.{extension}" in response.headers["Content-Disposition"]


def test_qr_png_decodes_to_the_exact_code_url(api, tmp_path):
    _item, code = api.published_item_with_code()
    png = tmp_path / "qr.png"
    png.write_bytes(api.get(f"/codes/{code}/qr.png").data)
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True,
                             text=True, check=True).stdout.strip()
    assert decoded == f"http://motpub.test/s/{code}"


def test_qr_of_unknown_code_is_404_and_bad_level_422(api):
    _item, code = api.published_item_with_code()
    assert api.get("/codes/zzzzzzzz/qr.svg").status_code == 404
    assert api.get(f"/codes/{code}/qr.svg?ec=Z").status_code == 422


def test_qr_needs_a_token(client, api):
    _item, code = api.published_item_with_code()
    assert client.get(f"/api/v1/codes/{code}/qr.png").status_code == 401


def test_openapi_describes_exactly_the_api_routes(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    # Paths with a server of their own are outside /api/v1 (the GS1 resolver's, see test_gs1).
    described = {(path, method) for path, operations in document["paths"].items()
                 if "servers" not in operations for method in operations}
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        path = path.replace("{value}", "{code}")
        paths = ([path.replace("{extension}", ext) for ext in ("svg", "png", "pdf")]
                 if "{extension}" in path else [path])
        for one in paths:
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routed.add((one, method.lower()))
    assert described == routed
    schemas = document["components"]["schemas"]
    assert "title" in schemas["ItemInput"]["required"]
