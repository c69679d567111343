"""The GS1 Digital Link resolver over HTTP, and the GTIN of an item in the API and the studio."""

from __future__ import annotations

import re
import subprocess
from urllib.parse import urlsplit

import pytest

from motpub.items.models import Item
from motpub.media.models.video import MediaKind, Video, VideoStatus
from motpub.codes.services.codes import issue_code
from motpub.codes.services.gs1 import CHARSET_82, QUALIFIER_MAX_LENGTH
from tests.factories import add_user
from tests.support import csrf_token, login

GTIN = "09506000134352"
DL = f"/01/{GTIN}"
BASE = "http://motpub.test"


def publish_with_gtin(api, gtin: str = "9506000134352", **fields) -> tuple[dict, str]:
    item, code = api.published_item_with_code(**fields)
    response = api.patch(f"/items/{item['id']}", json={"gtin": gtin})
    assert response.status_code == 200, response.get_json()
    return response.get_json(), code


def parse_link_header(value: str) -> list[dict]:
    """RFC 8288 Link header: <target>; name="value"; ..., one dict per link."""
    links = []
    for match in re.finditer(r'<([^>]*)>((?:\s*;\s*[\w*-]+="[^"]*")*)', value):
        params = dict(re.findall(r'([\w*-]+)="([^"]*)"', match.group(2)))
        links.append({"href": match.group(1), **params})
    rest = re.sub(r'<[^>]*>(?:\s*;\s*[\w*-]+="[^"]*")*', "", value)
    assert rest.replace(",", "").strip() == "", f"unparsed Link header text: {rest!r}"
    return links


def add_ready_media(app, item_id: int, kind: MediaKind) -> None:
    with app.extensions["motpub"].session_factory() as session:
        session.add(Video(item_id=item_id, kind=kind, status=VideoStatus.READY,
                          filename="guide.mp4", content_type="video/mp4", size_bytes=1,
                          source_key="s", part_size_bytes=1, progress=1.0,
                          master_key=f"videos/{kind.value}/master.m3u8"))
        item = session.get(Item, item_id)
        item.touch()
        session.commit()


def test_default_answer_is_307_to_the_item_page_in_its_default_language(api, client):
    item, _code = publish_with_gtin(api)
    response = client.get(DL)
    assert response.status_code == 307
    assert response.headers["Location"] == f"{BASE}/i/{item['slug']}?lang=zh"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Accept-Language" in response.headers["Vary"]


def test_accept_language_chooses_the_page_language_and_the_page_follows(api, client):
    item, _code = publish_with_gtin(api)
    response = client.get(DL, headers={"Accept-Language": "fr;q=1, en-GB;q=0.8, zh;q=0.5"})
    assert response.headers["Location"] == f"{BASE}/i/{item['slug']}?lang=en"
    page = client.get(urlsplit(response.headers["Location"]).path + "?lang=en")
    assert page.status_code == 200 and page.headers["Content-Language"] == "en"
    assert "Bronze ding" in page.text


def test_query_string_is_passed_on_except_the_resolver_parameters(api, client):
    item, _code = publish_with_gtin(api)
    response = client.get(f"{DL}?17=261231&linkType=gs1:pip&utm_source=pack&lang=en")
    assert response.headers["Location"] == \
        f"{BASE}/i/{item['slug']}?lang=en&17=261231&utm_source=pack"


@pytest.mark.parametrize("link_type", ["gs1:pip", "https://gs1.org/voc/pip",
                                       "https://ref.gs1.org/voc/pip"])
def test_link_type_is_accepted_as_curie_or_uri(api, client, link_type):
    item, _code = publish_with_gtin(api)
    response = client.get(f"{DL}?linkType={link_type}", headers={"Accept-Language": "en"})
    assert response.status_code == 307
    assert response.headers["Location"] == f"{BASE}/i/{item['slug']}?lang=en"


def test_unknown_or_absent_link_type_is_a_json_404(api, client):
    publish_with_gtin(api)
    for link_type in ("gs1:nosuchlt", "gs1:relatedVideo", "nonsense"):
        response = client.get(f"{DL}?linkType={link_type}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_video_and_audio_guide_are_typed_links(app, api, client):
    item, _code = publish_with_gtin(api)
    add_ready_media(app, item["id"], MediaKind.VIDEO)
    add_ready_media(app, item["id"], MediaKind.AUDIO)
    video = client.get(f"{DL}?linkType=gs1:relatedVideo", headers={"Accept-Language": "en"})
    assert video.headers["Location"] == f"{BASE}/i/{item['slug']}?lang=en#player"
    guide = client.get(f"{DL}?linkType=gs1:instructions&lang=zh&foo=1")
    assert guide.headers["Location"] == f"{BASE}/i/{item['slug']}?lang=zh&foo=1#audio-guide"


@pytest.mark.parametrize(("query", "headers"), [
    ("?linkType=linkset", {}),
    ("?linkType=all", {}),
    ("", {"Accept": "application/linkset+json"}),
])
def test_linkset_lists_every_link_with_title_and_hreflang(api, client, query, headers):
    item, _code = publish_with_gtin(api, links=[
        {"url": "https://example.org/ding", "title": {"zh": "更多", "en": "More"}}])
    response = client.get(DL + query, headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/linkset+json"
    (context,) = response.get_json()["linkset"]
    assert context["anchor"] == BASE + DL
    types = [key for key in context if key.startswith("https://")]
    assert types[:3] == ["https://gs1.org/voc/defaultLink", "https://gs1.org/voc/defaultLinkMulti",
                         "https://gs1.org/voc/pip"]
    assert len(context["https://gs1.org/voc/defaultLink"]) == 1
    for key in types:
        for link in context[key]:
            assert link["href"].startswith(("http://", "https://"))
            assert link["title"] and link["type"] == "text/html"
            assert link["hreflang"] and all(re.fullmatch(r"\w{2}", tag)
                                            for tag in link["hreflang"])
    pip_hrefs = [link["href"] for link in context["https://gs1.org/voc/pip"]]
    assert f"{BASE}/i/{item['slug']}?lang=en" in pip_hrefs
    assert pip_hrefs.count("https://example.org/ding") == 2  # one per titled language
    links = parse_link_header(response.headers["Link"])
    assert {link["rel"] for link in links} == {"linkset", "http://www.w3.org/ns/json-ld#context"}


def test_linkset_for_json_and_json_ld_clients(api, client):
    publish_with_gtin(api)
    plain = client.get(DL, headers={"Accept": "application/json"})
    assert plain.mimetype == "application/json" and "linkset" in plain.get_json()
    ld = client.get(DL, headers={"Accept": "application/ld+json"})
    assert ld.mimetype == "application/ld+json"
    assert ld.get_json()["@context"].startswith("https://ref.gs1.org/")
    browser = client.get(DL, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.status_code == 307


def test_two_links_of_the_requested_type_in_the_language_answer_300_with_the_choices(api,
                                                                                    client):
    # The item's English page and the editor's English link are both gs1:pip in English.
    item, _code = publish_with_gtin(api, links=[
        {"url": "https://example.org/ding", "title": {"en": "More about the ding"}}])
    page = f"{BASE}/i/{item['slug']}?lang=en&utm_source=pack"
    external = "https://example.org/ding?utm_source=pack"
    english = {"Accept-Language": "en"}

    browser = client.get(f"{DL}?linkType=gs1:pip&utm_source=pack", headers={
        **english, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.status_code == 300 and browser.mimetype == "text/html"
    assert "Location" not in browser.headers  # no choice is preferred
    assert re.findall(r'<a href="([^"]+)"', browser.text) == [
        page.replace("&", "&amp;"), external]
    assert "More about the ding" in browser.text and "Bronze ding" in browser.text
    assert browser.headers["Content-Language"] == "en"
    assert browser.headers["Access-Control-Allow-Origin"] == "*"
    (link,) = parse_link_header(browser.headers["Link"])
    assert link["rel"] == "linkset"

    machine = client.get(f"{DL}?linkType=gs1:pip&utm_source=pack",
                         headers={**english, "Accept": "application/linkset+json"})
    assert machine.status_code == 300 and machine.mimetype == "application/linkset+json"
    (context,) = machine.get_json()["linkset"]
    assert context["anchor"] == BASE + DL
    assert [choice["href"] for choice in context["https://gs1.org/voc/pip"]] == [page, external]
    assert [key for key in context if key.startswith("https://")] == ["https://gs1.org/voc/pip"]
    assert client.head(f"{DL}?linkType=gs1:pip", headers=english).status_code == 300

    # One pip link in Chinese; the default link, and no linkType at all, are one link each.
    chinese = client.get(f"{DL}?linkType=gs1:pip&lang=zh")
    assert chinese.status_code == 307
    assert chinese.headers["Location"] == f"{BASE}/i/{item['slug']}?lang=zh"
    for query in ("", "?linkType=gs1:defaultLink", "?linkType=gs1:defaultLinkMulti"):
        response = client.get(DL + query, headers=english)
        assert response.status_code == 307, query
        assert response.headers["Location"].startswith(f"{BASE}/i/{item['slug']}?lang=")


def test_options_answer_carries_the_link_to_the_linkset(api, client):
    publish_with_gtin(api)
    preflight = client.options(f"{DL}/10/L1", headers={
        "Origin": "https://scanner.example", "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 204
    (link,) = parse_link_header(preflight.headers["Link"])
    assert link["rel"] == "linkset" and link["type"] == "application/linkset+json"
    assert link["href"] == f"{BASE}{DL}/10/L1?linkType=linkset"
    assert preflight.headers["Link"] == client.get(f"{DL}/10/L1").headers["Link"]
    assert "Link" in preflight.headers["Access-Control-Expose-Headers"]
    # A preflight never fails: a link that leads nowhere gets no Link, the GET says why.
    for path in ("/01/04006381333931", "/01/09506000134353"):
        nowhere = client.options(path)
        assert nowhere.status_code == 204 and "Link" not in nowhere.headers


def test_link_header_on_redirect_points_to_the_linkset(api, client):
    publish_with_gtin(api)
    response = client.get(DL)
    (link,) = parse_link_header(response.headers["Link"])
    assert link["rel"] == "linkset" and link["type"] == "application/linkset+json"
    assert link["title"]
    target = urlsplit(link["href"])
    followed = client.get(f"{target.path}?{target.query}")
    assert followed.status_code == 200 and followed.get_json()["linkset"]


def test_qualifiers_are_validated_and_passed_on_to_the_page(api, client):
    item, _code = publish_with_gtin(api)
    response = client.get(f"{DL}/22/V1/10/L%2F7/21/S-1")
    assert response.status_code == 307
    assert response.headers["Location"] == \
        f"{BASE}/i/{item['slug']}?lang=zh&22=V1&10=L%2F7&21=S-1"
    linkset = client.get(f"{DL}/10/L%2F7?linkType=linkset").get_json()
    assert linkset["linkset"][0]["anchor"] == f"{BASE}{DL}/10/L%2F7"


@pytest.mark.parametrize(("path", "reason"), [
    ("/01/09506000134353", "check digit"),
    ("/01/950600013435", "check digit"),
    ("/01/95060001343", "8, 12, 13 or 14 digits"),
    (f"{DL}/21/S1/10/L1", "in the order"),
    (f"{DL}/17/261231", "not a key qualifier"),
    (f"{DL}/foo", "has no value"),
    (f"{DL}/10/{'L' * 21}", "at most 20"),
    (f"{DL}/21/a%20b", "does not allow"),
])
def test_malformed_links_are_400_with_a_json_reason(api, client, path, reason):
    publish_with_gtin(api)
    response = client.get(path)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert reason in response.get_json()["error"]["message"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_trailing_slash_and_short_gtin_give_the_same_answer(api, client):
    publish_with_gtin(api)
    answers = {(r.status_code, r.headers["Location"])
               for r in (client.get(DL), client.get(DL + "/"), client.get("/01/9506000134352"))}
    assert len(answers) == 1


def test_unknown_gtin_and_unpublished_item_are_404(api, client):
    item, _code = publish_with_gtin(api)
    assert client.get("/01/04006381333931").status_code == 404
    assert api.post(f"/items/{item['id']}/unpublish").status_code == 200
    response = client.get(DL)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_cors_preflight_head_and_get(api, client):
    publish_with_gtin(api)
    preflight = client.options(DL, headers={"Origin": "https://scanner.example",
                                            "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    methods = preflight.headers["Access-Control-Allow-Methods"]
    assert all(method in methods for method in ("GET", "HEAD", "OPTIONS"))
    assert "Accept-Language" in preflight.headers["Access-Control-Allow-Headers"]
    get = client.get(DL)
    head = client.head(DL)
    assert head.status_code == 307 and head.data == b""
    for name in ("Location", "Link", "Access-Control-Allow-Origin"):
        assert head.headers[name] == get.headers[name]
    assert "Link" in get.headers["Access-Control-Expose-Headers"]
    assert "Location" in get.headers["Access-Control-Expose-Headers"]
    head_linkset = client.head(f"{DL}?linkType=linkset")
    assert head_linkset.status_code == 200 and head_linkset.data == b""
    assert head_linkset.mimetype == "application/linkset+json"


def test_well_known_resolver_description(client):
    response = client.get("/.well-known/gs1resolver")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["resolverRoot"] == BASE
    assert document["supportedPrimaryKeys"] == ["01"]
    assert {"namespace": "https://gs1.org/voc/", "prefix": "gs1:"} in \
        document["supportedLinkType"]
    assert document["linkTypeDefaultCanBeLinkset"] is False
    assert document["name"] and document["jsonLdContextLocation"].startswith("https://")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert client.options("/.well-known/gs1resolver").status_code == 204


def test_patch_sets_normalizes_and_clears_the_gtin(api):
    item = api.create_item()
    assert item["gtin"] is None and item["digital_link"] is None
    changed = api.patch(f"/items/{item['id']}", json={"gtin": "95012346"}).get_json()
    assert changed["gtin"] == "00000095012346"
    assert changed["digital_link"] == f"{BASE}/01/00000095012346"
    assert api.get(f"/items/{item['id']}").get_json()["gtin"] == "00000095012346"
    assert api.patch(f"/items/{item['id']}", json={"title": {"en": "Ding"}}).get_json()[
        "gtin"] == "00000095012346"
    cleared = api.patch(f"/items/{item['id']}", json={"gtin": None}).get_json()
    assert cleared["gtin"] is None


@pytest.mark.parametrize(("gtin", "reason"), [
    ("09506000134353", "check digit"),
    ("1234567", "8, 12, 13 or 14 digits"),
    ("95O6000134352", "only digits"),
    (9506000134352, "string"),
])
def test_patch_refuses_an_invalid_gtin_and_changes_nothing(api, gtin, reason):
    item, _code = publish_with_gtin(api)
    response = api.patch(f"/items/{item['id']}", json={"gtin": gtin, "slug": "changed"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["field"] == "gtin" and reason in error["message"]
    after = api.get(f"/items/{item['id']}").get_json()
    assert after["gtin"] == GTIN and after["slug"] == item["slug"]


def test_a_gtin_belongs_to_one_item(api):
    first, _code = publish_with_gtin(api)
    second = api.create_item(slug="second")
    response = api.patch(f"/items/{second['id']}", json={"gtin": GTIN, "slug": "renamed"})
    assert response.status_code == 409
    assert response.get_json()["error"]["field"] == "gtin"
    assert api.get(f"/items/{second['id']}").get_json()["slug"] == "second"
    assert api.post("/items", json={"title": {"en": "Third"}, "gtin": GTIN}).status_code == 409
    # Setting an item's own GTIN again is no conflict.
    assert api.patch(f"/items/{first['id']}", json={"gtin": GTIN}).status_code == 200


def test_qr_can_encode_the_digital_link_and_it_resolves_to_the_item(api, client, tmp_path):
    item, code = publish_with_gtin(api)
    png = tmp_path / "dl.png"
    response = api.get(f"/codes/{code}/qr.png?content=gs1")
    assert response.status_code == 200
    png.write_bytes(response.data)
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True,
                             text=True, check=True).stdout.strip()
    assert decoded == f"{BASE}{DL}"
    resolved = client.get(urlsplit(decoded).path)
    assert resolved.status_code == 307
    page = client.get(urlsplit(resolved.headers["Location"]).path + "?lang=zh")
    assert page.status_code == 200 and "青铜鼎" in page.text
    svg = api.get(f"/codes/{code}/qr.svg?content=gs1")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"


def test_qr_with_gs1_content_needs_a_gtin(api):
    _item, code = api.published_item_with_code()
    response = api.get(f"/codes/{code}/qr.png?content=gs1")
    assert response.status_code == 400
    assert "GTIN" in response.get_json()["error"]["message"]
    assert api.get(f"/codes/{code}/qr.png?content=barcode").status_code == 422


def test_studio_item_form_sets_and_checks_the_gtin(app, client):
    add_user(app, "editor@example.org", "editor")
    assert login(client, "editor@example.org").status_code == 302
    page = client.get("/studio/items/new")
    assert 'name="gtin"' in page.text
    fields = {"csrf_token": csrf_token(page.text), "slug": "", "default_language": "zh",
              "title_zh": "鼎", "title_en": "Ding", "summary_zh": "", "summary_en": "",
              "body_zh": "", "body_en": "", "links": ""}
    refused = client.post("/studio/items/new", data={**fields, "gtin": "09506000134353"})
    assert refused.status_code == 422 and "check digit" in refused.text
    created = client.post("/studio/items/new", data={**fields, "gtin": "9506000134352"})
    assert created.status_code == 302
    edit = client.get(created.headers["Location"])
    assert f'value="{GTIN}"' in edit.text
    with app.extensions["motpub"].session_factory() as session:
        item = session.query(Item).filter_by(gtin=GTIN).one()
        code = issue_code(session, item, label="Shelf").code
        session.commit()
    page = client.get(created.headers["Location"]).text
    qr_url = f"/studio/codes/{code}/qr.svg?content=gs1"
    assert qr_url in page
    svg = client.get(qr_url)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"


def test_openapi_documents_the_resolver_routes(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    rooted = {path: operations for path, operations in document["paths"].items()
              if operations.get("servers") == [{"url": "/"}]}
    assert {"/01/{gtin}", "/01/{gtin}/10/{lot}", "/01/{gtin}/22/{cpv}/10/{lot}/21/{serial}",
            "/.well-known/gs1resolver"} <= set(rooted)
    routed = {rule.rule for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("codes_gs1.")}
    assert routed == {"/01/<path:_rest>", "/.well-known/gs1resolver"}
    for operations in rooted.values():
        assert {"get", "options"} <= set(operations)
    assert "gtin" in document["components"]["schemas"]["ItemPatch"]["properties"]


def test_a_path_with_a_control_character_answers_a_documented_404(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operations = document["paths"]["/01/{gtin}/10/{lot}"]
    for method in ("get", "options"):
        response = client.open("/01/%0A123/10/%0Alot", method=method.upper())
        assert response.status_code == 404
        documented = operations[method]["responses"]["404"]["content"]
        assert response.mimetype in documented


def test_openapi_states_the_gtin_and_qualifier_syntax_the_resolver_accepts(client):
    document = client.get("/api/v1/openapi.json").get_json()
    gtin, cpv, lot, serial = document["paths"]["/01/{gtin}/22/{cpv}/10/{lot}/21/{serial}"][
        "get"]["parameters"][:4]
    assert re.fullmatch(gtin["schema"]["pattern"], "09506000134352")
    assert not re.search(gtin["schema"]["pattern"], "9506000134")
    allowed = lot["schema"]["pattern"]
    assert lot["schema"] == cpv["schema"] == serial["schema"]
    assert lot["schema"]["maxLength"] == QUALIFIER_MAX_LENGTH
    printable = {chr(code) for code in range(32, 127)}
    assert {char for char in printable if re.search(allowed, char)} == set(CHARSET_82)


@pytest.mark.parametrize("query", ["lang=%08en", "linkType=gs1%07pip", "x%1F=1"])
def test_a_control_character_in_the_query_is_a_documented_json_400(api, client, query):
    publish_with_gtin(api)
    document = client.get("/api/v1/openapi.json").get_json()
    response = client.get(f"/01/09506000134352?{query}")
    assert response.status_code == 400
    assert response.mimetype in document["paths"]["/01/{gtin}"]["get"]["responses"]["400"][
        "content"]
    assert "control characters" in response.get_json()["error"]["message"]
