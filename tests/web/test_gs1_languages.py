"""The GS1 resolver of a deployment with ten content languages: the linkset and the Link
header carry the item's page in each language it has, with hreflang and the title in that
language, and a visitor in a language the item lacks is sent along its fallback chain."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from tests.support import make_settings

BASE = "http://motpub.test"
DL = "/01/09506000134352"
TEN = ("zh", "zh-Hant", "en", "ru", "ar", "th", "fr", "es", "ja", "ko")
TITLE = {"zh": "青铜鼎", "en": "Bronze ding", "ru": "Бронзовый котёл", "ar": "قدر برونزي",
         "fr": "Chaudron \"ding\" en bronze", "ja": "青銅の鼎"}
HAS = ("zh", "en", "ru", "ar", "fr", "ja")  # TITLE's languages in the deployment's order
PIP = "https://gs1.org/voc/pip"


@pytest.fixture
def settings(request, tmp_path, database_url):
    return make_settings(tmp_path, database_url, languages=getattr(request, "param", TEN))


# RFC 8288 link-values whose parameters are quoted strings or tokens (RFC 8187's title*).
LINK_VALUE = re.compile(r'<([^>]*)>((?:\s*;\s*[\w*-]+=(?:"[^"]*"|[^\s;,]+))*)')
PARAMETER = re.compile(r'([\w*-]+)=(?:"([^"]*)"|([^\s;,]+))')


def publish_with_gtin(api, **fields) -> tuple[dict, str]:
    item, code = api.published_item_with_code(**fields)
    response = api.patch(f"/items/{item['id']}", json={"gtin": "9506000134352"})
    assert response.status_code == 200, response.get_json()
    return response.get_json(), code


def parse_link_header(value: str) -> list[dict]:
    """The link-values of one Link field, one dict each (params by name)."""
    assert LINK_VALUE.sub("", value).replace(",", "").strip() == "", value
    return [{"href": target, **{name: quoted or token for name, quoted, token
                                in PARAMETER.findall(parameters)}}
            for target, parameters in LINK_VALUE.findall(value)]


def language_links(response) -> list[dict]:
    """The links of every Link field after the first (the linkset's), titles decoded."""
    links = []
    for value in response.headers.getlist("Link")[1:]:
        for link in parse_link_header(value):
            if "title*" in link:
                charset, _language, text = link.pop("title*").split("'", 2)
                assert charset == "UTF-8" and "title" not in link
                link["title"] = unquote(text)
            links.append(link)
    return links


def test_the_linkset_offers_the_page_in_each_language_the_item_has(api, client):
    item, _code = publish_with_gtin(api, title=TITLE, default_language="ar", links=[
        {"url": "https://museum.example/ding", "title": {"ko": "더 보기", "ar": "المزيد"}}])
    response = client.get(f"{DL}?linkType=linkset")
    assert response.status_code == 200
    (context,) = response.get_json()["linkset"]
    [default] = context["https://gs1.org/voc/defaultLink"]
    assert default["hreflang"] == ["ar"] and default["title"] == TITLE["ar"]
    assert default["href"] == f"{BASE}/i/{item['slug']}?lang=ar"
    multi = context["https://gs1.org/voc/defaultLinkMulti"]
    assert [(link["hreflang"], link["title"]) for link in multi] == [
        ([lang], TITLE[lang]) for lang in HAS]
    pages = [link for link in context[PIP] if "/i/" in link["href"]]
    assert [link["href"] for link in pages] == [
        f"{BASE}/i/{item['slug']}?lang={lang}" for lang in HAS]
    assert [link["title"] for link in pages] == [TITLE[lang] for lang in HAS]
    # The editor's link, in each language it is titled in, whichever those are.
    assert [(link["hreflang"], link["title"]) for link in context[PIP]
            if "museum" in link["href"]] == [(["ar"], "المزيد"), (["ko"], "더 보기")]

    links = language_links(response)
    assert [(link["hreflang"], link["title"]) for link in links] == [
        (lang, TITLE[lang]) for lang in HAS]
    assert all(link["rel"] == PIP and link["type"] == "text/html" for link in links)
    assert [link["href"] for link in links] == [link["href"] for link in pages]
    # The first Link field is the linkset's, as before.
    assert {link["rel"] for link in parse_link_header(response.headers["Link"])} == {
        "linkset", "http://www.w3.org/ns/json-ld#context"}


def test_redirects_carry_the_language_links_and_follow_the_fallback_chain(api, client):
    item, _code = publish_with_gtin(api, title=TITLE, default_language="en")
    page = f"{BASE}/i/{item['slug']}?lang="
    for headers, query, language in (
            ({"Accept-Language": "ar"}, "", "ar"),
            ({"Accept-Language": "ja-JP,ja;q=0.9"}, "", "ja"),
            ({}, "?lang=ru", "ru"),
            ({}, "?lang=zh-Hant", "zh"),  # no traditional title: simplified, then English
            ({"Accept-Language": "ko"}, "", "en"),  # no Korean: English
            ({}, "?linkType=gs1:pip&lang=th", "en")):
        response = client.get(DL + query, headers=headers)
        assert response.status_code == 307, (query, headers)
        assert response.headers["Location"] == page + language, (query, headers)
        (first,) = parse_link_header(response.headers["Link"])
        assert first["rel"] == "linkset"
        assert [link["hreflang"] for link in language_links(response)] == list(HAS)


@pytest.mark.parametrize("settings", [("zh", "en")], indirect=True)
def test_a_bilingual_deployment_offers_its_two_languages_in_the_link_header(api, client):
    item, _code = publish_with_gtin(api)
    response = client.get(DL, headers={"Accept-Language": "en"})
    assert response.headers["Location"] == f"{BASE}/i/{item['slug']}?lang=en"
    assert [(link["hreflang"], link["title"]) for link in language_links(response)] == [
        ("zh", "青铜鼎"), ("en", "Bronze ding")]
    english_only = api.patch(f"/items/{item['id']}", json={"title": {"en": "Ding"}})
    assert english_only.status_code == 200
    response = client.get(DL, headers={"Accept-Language": "zh"})
    assert response.headers["Location"] == f"{BASE}/i/{item['slug']}?lang=en"
    assert [link["hreflang"] for link in language_links(response)] == ["en"]
