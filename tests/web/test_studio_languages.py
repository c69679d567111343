"""The studio's forms in any number of content languages: a column each for two or three, a
language picker with the source text beside the edited language for more; right-to-left
fields; texts in languages no longer configured kept and shown as orphaned."""

from __future__ import annotations

import re

import pytest

from motpub.app import create_app
from motpub.exhibitions.models import Exhibition
from motpub.items.models import Item
from tests.factories import Api, add_user
from tests.support import csrf_token, login, make_settings

TEN = ("zh", "zh-Hant", "en", "ru", "ar", "th", "fr", "es", "ja", "ko")


def fields(html: str) -> list[str]:
    return re.findall(r'<(?:input|textarea)[^>]* name="((?:title|summary|body|intro)_[^"]+)"',
                      html)


def edit_form(html: str, **fields) -> dict:
    """The form as the page shows it, then `fields` changed."""
    data = dict(re.findall(r'<input[^>]* name="([^"]+)"[^>]* value="([^"]*)"', html))
    for name, text in re.findall(r'<textarea[^>]* name="([^"]+)"[^>]*>\n?(.*?)</textarea>', html,
                                 flags=re.S):
        data[name] = text
    for name, options in re.findall(r'<select[^>]* name="([^"]+)"[^>]*>(.*?)</select>', html,
                                    flags=re.S):
        data.update((name, value) for value in re.findall(r'<option selected value="([^"]*)"',
                                                          options))
    data["csrf_token"] = csrf_token(html)
    data.update(fields)
    return data


def stored(app, model, thing_id: int):
    with app.extensions["motpub"].session_factory() as session:
        thing = session.get(model, thing_id)
        session.expunge(thing)
        return thing


class TestTwoLanguages:
    def test_item_page_has_a_column_for_each_language_and_no_picker(self, api, client):
        item = api.create_item()
        login(client, "editor@example.org")
        page = client.get(f"/studio/items/{item['id']}")
        assert fields(page.text) == ["title_zh", "title_en", "summary_zh", "summary_en",
                                     "body_zh", "body_en"]
        assert 'class="language-picker' not in page.text
        assert '<input dir="ltr" id="title_en" lang="en"' in page.text
        # The picker's arguments are ignored while every language has a column.
        assert fields(client.get(f"/studio/items/{item['id']}?edit=en").text) == fields(
            page.text)


@pytest.fixture
def ten_languages(tmp_path, database_url):
    return make_settings(tmp_path, database_url, languages=TEN)


class TestTenLanguages:
    @pytest.fixture
    def settings(self, ten_languages):
        return ten_languages

    def test_item_page_edits_one_language_beside_the_source(self, api, client):
        item = api.create_item(title={"zh": "青铜鼎", "en": "Bronze ding"},
                               summary={"zh": "商代礼器"}, default_language="zh")
        login(client, "editor@example.org")
        page = client.get(f"/studio/items/{item['id']}?edit=ru&source=zh")
        assert page.status_code == 200
        assert fields(page.text) == ["title_ru", "summary_ru", "body_ru"]
        # The source's text, read only, beside the Russian field.
        assert re.search(r'<div class="source-text" lang="zh" dir="ltr">青铜鼎</div>', page.text)
        assert 'name="title_zh"' not in page.text
        for lang in TEN:
            assert f'edit={lang}&amp;source=zh' in page.text
        assert 'aria-current="page">русский</a>' in page.text
        assert "style=" not in page.text  # the studio's CSP allows no inline style
        previews = re.findall(rf'/studio/items/{item["id"]}/preview\?lang=([\w-]+)', page.text)
        assert previews == ["ru", "zh"]

        # Without arguments: the default language, edited alone.
        alone = client.get(f"/studio/items/{item['id']}")
        assert fields(alone.text) == ["title_zh", "summary_zh", "body_zh"]
        assert 'class="source-text"' not in alone.text

    def test_arabic_fields_are_right_to_left(self, api, client):
        item = api.create_item(title={"zh": "鼎", "ar": "قدر برونزي"})
        login(client, "editor@example.org")
        page = client.get(f"/studio/items/{item['id']}?edit=ar&source=zh")
        assert re.search(r'<input dir="rtl" id="title_ar" lang="ar" [^>]*value="قدر برونزي"',
                         page.text)
        assert '<textarea class="body" dir="rtl" id="body_ar" lang="ar"' in page.text
        source = client.get(f"/studio/items/{item['id']}?edit=zh&source=ar")
        assert '<div class="source-text" lang="ar" dir="rtl">قدر برونزي</div>' in source.text
        assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")

    def test_saving_one_language_keeps_every_other(self, app, api, client):
        item = api.create_item(
            title={"zh": "青铜鼎", "en": "Bronze ding", "fr": "Ding en bronze"},
            summary={"zh": "商代礼器", "ja": "殷の祭器"}, default_language="zh",
            links=[{"url": "https://museum.example/ding",
                    "title": {"zh": "更多", "en": "More", "fr": "Plus"}}])
        login(client, "editor@example.org")
        url = f"/studio/items/{item['id']}?edit=ru&source=zh"
        page = client.get(url)
        assert "https://museum.example/ding | </textarea>" in page.text  # no Russian title yet
        saved = client.post(url, data=edit_form(
            page.text, title_ru="Бронзовый котёл", summary_ru="Ритуальный сосуд",
            links="https://museum.example/ding | Подробнее\nhttps://museum.example/new | Новое"))
        assert saved.status_code == 302, saved.text
        assert saved.headers["Location"].endswith(url)
        after = stored(app, Item, item["id"])
        assert after.title == {"zh": "青铜鼎", "en": "Bronze ding", "ru": "Бронзовый котёл",
                               "fr": "Ding en bronze"}
        assert after.summary == {"zh": "商代礼器", "ru": "Ритуальный сосуд", "ja": "殷の祭器"}
        assert after.links == [
            {"url": "https://museum.example/ding",
             "title": {"zh": "更多", "en": "More", "fr": "Plus", "ru": "Подробнее"}},
            {"url": "https://museum.example/new", "title": {"ru": "Новое"}}]
        # Written beside the Chinese: based on it, and current.
        status = api.get(f"/items/{item['id']}").get_json()["translation_status"]
        assert status["title"]["ru"] == status["summary"]["ru"] == "current"

    def test_new_item_in_the_language_picked(self, app, api, client):
        login(client, "editor@example.org")
        page = client.get("/studio/items/new?edit=th")
        assert fields(page.text) == ["title_th", "summary_th", "body_th"]
        response = client.post("/studio/items/new?edit=th", data=edit_form(
            page.text, title_th="กระถางสำริด", default_language="th", slug="ding"))
        assert response.status_code == 302, response.text
        [item] = api.get("/items").get_json()["items"]
        assert item["title"] == {"th": "กระถางสำริด"} and item["default_language"] == "th"

    def test_exhibition_page_edits_one_language_and_keeps_the_others(self, app, api,
                                                                      client):
        exhibition = api.post("/exhibitions", json={
            "slug": "bronzes", "title": {"zh": "青铜时代", "en": "Bronze Age"},
            "intro": {"zh": "三千年"}}).get_json()
        login(client, "editor@example.org")
        url = f"/studio/exhibitions/{exhibition['id']}?edit=ar&source=zh"
        page = client.get(url)
        assert fields(page.text) == ["title_ar", "intro_ar"]
        assert '<textarea dir="rtl" id="intro_ar" lang="ar"' in page.text
        assert '<div class="source-text" lang="zh" dir="ltr">三千年</div>' in page.text
        saved = client.post(url, data=edit_form(page.text, title_ar="العصر البرونزي"))
        assert saved.status_code == 302, saved.text
        after = stored(app, Exhibition, exhibition["id"])
        assert after.title == {"zh": "青铜时代", "en": "Bronze Age", "ar": "العصر البرونزي"}
        assert after.intro == {"zh": "三千年"}


def test_a_language_removed_from_the_configuration_keeps_its_texts(tmp_path, database_url):
    """Written with ru configured; ru then removed: kept through every save, shown to editors
    as orphaned, never to visitors."""
    with_ru = create_app(make_settings(tmp_path, database_url, languages=("zh", "en", "ru")))
    try:
        api = Api(with_ru.test_client(), add_user(with_ru, "editor@example.org", "editor"))
        item = api.create_item(title={"zh": "鼎", "en": "Ding", "ru": "Котёл"},
                               summary={"ru": "Сосуд"},
                               links=[{"url": "https://museum.example/ding",
                                       "title": {"en": "More", "ru": "Ещё"}}])
        api.post(f"/items/{item['id']}/publish")
    finally:
        with_ru.extensions["motpub"].target_cache.close()
        with_ru.extensions["motpub"].engine.dispose()

    app = create_app(make_settings(tmp_path, database_url, languages=("zh", "en")))
    try:
        client = app.test_client()
        api.client = client
        before = api.get(f"/items/{item['id']}").get_json()
        assert before["title"]["ru"] == "Котёл" and before["orphaned_languages"] == ["ru"]
        assert set(before["translation_status"]["title"]) == {"zh", "en"}

        # A save through the API, then through the studio: the Russian texts stay.
        assert api.patch(f"/items/{item['id']}", json={
            "title": {"zh": "青铜鼎", "en": "Ding"}, "summary": {"en": "A vessel"},
            "links": [{"url": "https://museum.example/ding", "title": {"en": "More!"}}],
        }).status_code == 200
        login(client, "editor@example.org")
        page = client.get(f"/studio/items/{item['id']}")
        assert 'class="badge orphaned"' in page.text and "Котёл" in page.text
        assert 'name="title_ru"' not in page.text
        saved = client.post(f"/studio/items/{item['id']}", data=edit_form(
            page.text, title_en="Bronze ding"))
        assert saved.status_code == 302, saved.text
        after = stored(app, Item, item["id"])
        assert after.title == {"zh": "青铜鼎", "en": "Bronze ding", "ru": "Котёл"}
        assert after.summary == {"en": "A vessel", "ru": "Сосуд"}
        assert after.links == [{"url": "https://museum.example/ding",
                                "title": {"ru": "Ещё", "en": "More!"}}]

        visitor = client.get(f"/i/{item['slug']}?lang=ru")
        assert "Котёл" not in visitor.text and "Сосуд" not in visitor.text
    finally:
        app.extensions["motpub"].target_cache.close()
        app.extensions["motpub"].engine.dispose()


def test_the_picker_marks_languages_with_stale_or_missing_texts(tmp_path, database_url):
    app = create_app(make_settings(tmp_path, database_url, languages=TEN))
    try:
        client = app.test_client()
        api = Api(client, add_user(app, "editor@example.org", "editor"))
        item = api.create_item(title={"zh": "鼎", "ru": "Котёл"}, default_language="zh")
        api.patch(f"/items/{item['id']}", json={"title": {"zh": "青铜鼎", "ru": "Котёл"}})
        login(client, "editor@example.org")
        page = client.get(f"/studio/items/{item['id']}?edit=zh&source=zh").text
        assert re.search(r'<a class="lang-choice stale" title="stale" href="[^"]*edit=ru', page)
        assert re.search(r'<a class="lang-choice missing" title="missing" href="[^"]*edit=ko',
                         page)
        assert re.search(r'<a class="lang-choice current" href="[^"]*edit=zh&', page)
    finally:
        app.extensions["motpub"].target_cache.close()
        app.extensions["motpub"].engine.dispose()
