"""A deployment with a third content language (ru) configured: every path that speaks of
languages takes it, and none assumes two. The ru catalog has the visitor pages' words only:
the studio's and the API's fall back to English where it has no entry."""

from __future__ import annotations

import re

import pytest

from motpub.media.models.video import Video
from tests.support import csrf_token, login, make_settings

RU = {"Accept-Language": "ru-RU,ru;q=0.9"}
TITLE = {"zh": "青铜鼎", "en": "Bronze ding", "ru": "Бронзовый котёл"}


@pytest.fixture
def settings(tmp_path, database_url):
    return make_settings(tmp_path, database_url, languages=("zh", "en", "ru"))


def switch_languages(html: str) -> list[str]:
    return re.findall(r'<a class="switch" href="[^"]+" lang="([^"]+)"', html)


def test_items_take_a_third_language_over_the_api(api):
    item = api.create_item(title=TITLE, summary={"ru": "Сосуд для варки"},
                           default_language="ru")
    assert item["title"] == TITLE and item["default_language"] == "ru"
    patched = api.patch(f"/items/{item['id']}", json={"title": {**TITLE, "ru": "Котёл"}})
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["title"]["ru"] == "Котёл"
    assert patched.get_json()["summary"] == {"ru": "Сосуд для варки"}

    unknown = api.post("/items", json={"title": {"fr": "Chaudron"}})
    assert unknown.status_code == 422 and unknown.get_json()["error"]["field"] == "title"
    assert api.post("/items", json={"title": TITLE, "default_language": "fr"}).status_code == 422
    document = api.get("/openapi.json").get_json()
    item_schema = document["components"]["schemas"]["Item"]["properties"]
    assert item_schema["default_language"]["enum"] == ["zh", "en", "ru"]
    assert set(item_schema["title"]["properties"]) == {"zh", "en", "ru"}


def test_public_page_in_the_third_language_by_param_and_by_header(api, client):
    item, code = api.published_item_with_code(title=TITLE, summary={"zh": "炊器"})
    page = client.get(f"/s/{code}?lang=ru")
    assert page.headers["Content-Language"] == "ru"
    assert '<html lang="ru">' in page.text and "Бронзовый котёл" in page.text
    # The summary exists in Chinese only: shown, and marked as such.
    assert "炊器" in page.text and '<span class="fallback" lang="ru">' in page.text
    assert switch_languages(page.text) == ["zh", "en"]

    by_header = client.get(f"/i/{item['slug']}", headers=RU)
    assert by_header.headers["Content-Language"] == "ru"
    zh = client.get(f"/i/{item['slug']}?lang=zh")
    assert switch_languages(zh.text) == ["en", "ru"]
    assert '<a class="switch" href="/i/bronze-ding?lang=ru" lang="ru" hreflang="ru">русский</a>' \
        in zh.text


def test_studio_item_form_has_a_column_for_the_third_language(api, client):
    item = api.create_item(title=TITLE)
    login(client, "editor@example.org")
    page = client.get(f"/studio/items/{item['id']}", headers=RU)
    assert page.status_code == 200
    for name in ("title_ru", "summary_ru", "body_ru"):
        assert f'name="{name}"' in page.text
    assert 'value="Бронзовый котёл"' in page.text
    assert f"/studio/items/{item['id']}/preview?lang=ru" in page.text
    assert '<option value="ru"' in page.text  # default language and spoken language

    form = {"csrf_token": csrf_token(page.text), "slug": item["slug"],
            "default_language": "ru", "title_zh": "青铜鼎", "title_en": "Bronze ding",
            "title_ru": "Котёл", "summary_zh": "", "summary_en": "", "summary_ru": "Сосуд",
            "body_zh": "", "body_en": "", "body_ru": "", "gtin": "",
            "links": "https://museum.example/ding | 鼎 | Ding | Котёл"}
    saved = client.post(f"/studio/items/{item['id']}", data=form)
    assert saved.status_code in (200, 302), saved.text
    stored = api.get(f"/items/{item['id']}").get_json()
    assert stored["title"]["ru"] == "Котёл" and stored["summary"] == {"ru": "Сосуд"}
    assert stored["links"][0]["title"] == {"zh": "鼎", "en": "Ding", "ru": "Котёл"}

    preview = client.get(f"/studio/items/{item['id']}/preview?lang=ru")
    assert '<html lang="ru">' in preview.text and switch_languages(preview.text) == ["zh", "en"]


def test_studio_language_switch_lists_the_third_language(client, editor_token):
    login(client, "editor@example.org")
    items = client.get("/studio/", headers={"Accept-Language": "zh-CN"})
    assert ">English</a>" in items.text and ">русский</a>" in items.text
    client.get("/studio/language/ru?next=/studio/")
    assert '<html lang="ru">' in client.get("/studio/").text


def test_exhibition_page_in_the_third_language(api, client):
    item = api.create_item(slug="ding", title=TITLE)
    api.post(f"/items/{item['id']}/publish")
    exhibition = api.post("/exhibitions", json={
        "slug": "bronzes", "title": {"zh": "青铜时代", "ru": "Бронзовый век"},
        "intro": {"ru": "Вещи трёх тысячелетий"}}).get_json()
    api.put(f"/exhibitions/{exhibition['id']}/items", json={"item_ids": [item["id"]]})
    page = client.get("/x/bronzes?lang=ru")
    assert page.status_code == 200 and page.headers["Content-Language"] == "ru"
    assert "Бронзовый век" in page.text and "Бронзовый котёл" in page.text
    assert switch_languages(page.text) == ["zh", "en"]
    login(client, "editor@example.org")
    studio = client.get(f"/studio/exhibitions/{exhibition['id']}")
    assert 'name="title_ru"' in studio.text and 'name="intro_ru"' in studio.text


def test_not_found_page_speaks_the_visitors_language_and_the_first(client):
    page = client.get("/s/NOPE", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert page.status_code == 404
    assert "未找到此页面" in page.text
    assert '<h1 lang="ru">Страница не найдена</h1>' in page.text
    assert "Page not found" not in page.text
    english = client.get("/s/NOPE", headers={"Accept-Language": "en"})
    assert '<h1 lang="en">Page not found</h1>' in english.text
    assert english.text.count("Page not found") == 1 and "Страница" not in english.text


def test_a_video_failure_reads_in_every_language(app, api, client, session):
    item = api.create_item(title=TITLE)
    created = api.post(f"/items/{item['id']}/videos", json={
        "language": "ru", "filename": "clip.mp4", "size_bytes": 1000,
        "content_type": "video/mp4"})
    assert created.status_code == 201, created.get_json()
    video_id = created.get_json()["video_id"]
    cancelled = api.delete(f"/videos/{video_id}/upload")
    assert cancelled.status_code in (200, 204), cancelled.get_json()
    error = api.get(f"/videos/{video_id}").get_json()["error"]
    assert set(error) == {"zh", "en", "ru"}
    assert error["zh"] == "上传已取消。"
    assert error["en"] == error["ru"] == "The upload was cancelled."

    # A reason with values, stored as a message id: rendered when read, in each language.
    video = session.get(Video, video_id)
    video.error_code, video.error_args = "video_too_long", {"actual": "16:40", "limit": "15:00"}
    session.commit()
    error = api.get(f"/videos/{video_id}").get_json()["error"]
    assert "16:40" in error["zh"] and "15:00" in error["ru"]
    login(client, "editor@example.org")
    page = client.get(f"/studio/items/{item['id']}", headers=RU)
    assert '<p lang="ru">the video is 16:40 long; the limit is 15:00</p>' in page.text
    assert '<p lang="zh">视频时长为 16:40，上限为 15:00</p>' in page.text
