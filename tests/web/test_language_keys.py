"""Every localized field takes any configured language and refuses any other by name, with
the list of the configured ones: in the API (422) and in the studio forms, in a deployment
of ten languages and in the default zh,en one."""

from __future__ import annotations

import pytest

from tests.support import csrf_token, login, make_settings

TEN = ("zh", "zh-Hant", "en", "ru", "ar", "th", "fr", "es", "ja", "ko")
TEXTS = {"zh": "青铜鼎", "zh-Hant": "青銅鼎", "en": "Bronze ding", "ru": "Бронзовый котёл",
         "ar": "قدر برونزي", "th": "หม้อสำริด", "fr": "Chaudron", "es": "Caldero",
         "ja": "青銅の鼎", "ko": "청동 솥"}
DEPLOYMENTS = [TEN, ("zh", "en")]


@pytest.fixture(params=DEPLOYMENTS, ids=["ten", "zh-en"])
def settings(request, tmp_path, database_url):
    return make_settings(tmp_path, database_url, languages=request.param)


@pytest.fixture
def languages(settings) -> tuple[str, ...]:
    return settings.languages


def refused(response, field: str, languages: tuple[str, ...], *names: str) -> None:
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and error["field"] == field, error
    assert ", ".join(languages) in error["message"], error
    for name in names:
        assert repr(name) in error["message"], error


def test_items_take_every_configured_language_in_every_field(api, languages):
    texts = {lang: TEXTS[lang] for lang in languages}
    item = api.create_item(title=texts, summary=texts, body=texts, default_language=languages[-1],
                           links=[{"url": "https://museum.example/", "title": texts}])
    assert item["title"] == texts and item["summary"] == texts and item["body"] == texts
    assert item["links"][0]["title"] == texts and item["default_language"] == languages[-1]
    patched = api.patch(f"/items/{item['id']}", json={"summary": {languages[-1]: "·"}})
    assert patched.status_code == 200 and patched.get_json()["summary"] == {languages[-1]: "·"}


@pytest.mark.parametrize("unknown", ["de", "zh-TW", "ZH", "zh-hant", "en_GB", ""])
def test_an_unknown_language_key_is_422_naming_it_and_the_configured_ones(api, languages,
                                                                          unknown):
    item = api.create_item(title={"en": "Ding"})
    for field in ("title", "summary", "body"):
        answer = api.post("/items", json={"title": {"en": "X"}, field: {unknown: "text"}})
        refused(answer, field, languages, unknown)
        answer = api.patch(f"/items/{item['id']}", json={field: {"en": "Y", unknown: "text"}})
        refused(answer, field, languages, unknown)
    links = api.patch(f"/items/{item['id']}", json={"links": [
        {"url": "https://museum.example/", "title": {"en": "More", unknown: "Mehr"}}]})
    refused(links, "links", languages, unknown)
    exhibition = {"slug": "bronzes", "title": {"en": "Bronzes"}}
    for field in ("title", "intro"):
        answer = api.post("/exhibitions", json={**exhibition, field: {unknown: "text"}})
        refused(answer, field, languages, unknown)
    created = api.post("/exhibitions", json=exhibition)
    assert created.status_code == 201, created.get_json()
    answer = api.patch(f"/exhibitions/{created.get_json()['id']}",
                       json={"intro": {"en": "Hall 1", unknown: "text"}})
    refused(answer, "intro", languages, unknown)
    assert api.get(f"/items/{item['id']}").get_json()["title"] == {"en": "Ding"}


def test_an_exhibition_takes_every_configured_language(api, languages):
    texts = {lang: TEXTS[lang] for lang in languages}
    created = api.post("/exhibitions", json={"slug": "bronzes", "title": texts, "intro": texts})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["title"] == texts and created.get_json()["intro"] == texts


def test_the_studio_refuses_a_field_of_an_unknown_language_by_name(api, client, languages):
    item = api.create_item(title={"en": "Ding"})
    login(client, "editor@example.org")
    english = {"Accept-Language": "en"}
    page = client.get(f"/studio/items/{item['id']}", headers=english)
    form = {"csrf_token": csrf_token(page.text), "slug": item["slug"],
            "default_language": "en", "gtin": "", "links": "",
            **{f"{field}_{lang}": "" for field in ("title", "summary", "body")
               for lang in languages}, "title_en": "Ding", "title_de": "Kessel",
            "summary_pt-BR": "Caldeirão"}
    answer = client.post(f"/studio/items/{item['id']}", data=form, headers=english)
    assert answer.status_code == 422
    assert (f"title_de, summary_pt-BR: not a content language. The content languages are "
            f"{', '.join(languages)}.") in answer.text
    assert api.get(f"/items/{item['id']}").get_json()["title"] == {"en": "Ding"}

    too_many = "https://museum.example/ | " + " | ".join(["t"] * (len(languages) + 1))
    form = {**form, "links": "https://museum.example/ | More\n" + too_many}
    del form["title_de"], form["summary_pt-BR"]
    answer = client.post(f"/studio/items/{item['id']}", data=form, headers=english)
    assert answer.status_code == 422
    # With a language picker (more than three languages) the form edits the default one.
    on_form = languages if len(languages) <= 3 else ("en",)
    assert (f"Line 2 has more titles than there are content languages "
            f"({', '.join(on_form)}).") in answer.text
    assert api.get(f"/items/{item['id']}").get_json()["links"] == []

    chinese = client.post(f"/studio/items/{item['id']}", data={**form, "links": too_many},
                          headers={"Accept-Language": "zh"})
    assert chinese.status_code == 422 and "第 1 行" in chinese.text

    page = client.get("/studio/exhibitions/new", headers=english)
    answer = client.post("/studio/exhibitions/new", headers=english, data={
        "csrf_token": csrf_token(page.text), "slug": "bronzes", "title_en": "Bronzes",
        "intro_xx": "?"})
    assert answer.status_code == 422
    assert "intro_xx: not a content language" in answer.text


def test_the_openapi_document_names_the_configured_languages_everywhere(client, languages):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    for schema, field in (("Item", "title"), ("Item", "summary"), ("Item", "body"),
                          ("ItemLink", "title"), ("Exhibition", "title"),
                          ("Exhibition", "intro")):
        # (the document's keys are sorted; the enums keep the deployment's order)
        assert set(schemas[schema]["properties"][field]["properties"]) == set(languages), (
            schema, field)
    for name in ("Title", "Summary", "Body", "LinkTitle"):
        assert set(schemas[name]["properties"]) == set(languages), name
        assert schemas[name]["additionalProperties"] is False
    for name in ("Item", "ItemInput", "ItemPatch"):
        language = schemas[name]["properties"]["default_language"]
        assert [value for value in language.get("enum", [])
                if value is not None] == list(languages), name
    resolver = document["paths"]["/01/{gtin}"]["get"]
    linkset = resolver["responses"]["200"]["content"]["application/linkset+json"]["schema"]
    link = linkset["properties"]["linkset"]["items"]["additionalProperties"]["items"]
    assert link["properties"]["hreflang"]["items"]["enum"] == list(languages)
    lang = next(parameter for parameter in resolver["parameters"] if parameter["name"] == "lang")
    assert lang["schema"]["enum"] == list(languages)
