"""Pictures in the studio: the item page's drop zone and its list (hero first, previews, the
Markdown that places each picture, alt text and caption per language with lang and dir),
plain CSRF forms that save the texts, move pictures and delete them, and a warning before
deleting a picture the article places, naming the articles' languages. The exhibition page
shows its cover the same way."""

from __future__ import annotations

import re

import pytest

from tests.factories import Api, add_image, add_user
from tests.web.test_studio_languages import TEN
from tests.support import csrf_token, login, make_settings


@pytest.fixture
def editor_api(app, client) -> Api:
    token = add_user(app, "editor@example.org", "editor")
    assert login(client, "editor@example.org").status_code == 302
    return Api(client, token)


def picture_rows(page: str) -> list[str]:
    return re.findall(r'<li class="picture" id="picture-(\d+)"', page)


def row(page: str, image_id: int) -> str:
    return re.search(rf'<li class="picture" id="picture-{image_id}".*?</li>', page,
                     re.S).group(0)


def test_the_item_page_lists_pictures_with_previews_snippets_and_language_fields(
        app, client, editor_api):
    item = editor_api.create_item()
    first = add_image(app, item_id=item["id"], position=0, alt={"zh": "鼎", "en": "The ding"},
                      caption={"en": "Seen from the front"}, credit="Photo: Li Wei")
    second = add_image(app, item_id=item["id"], position=1, width=300, height=200)
    page = client.get(f"/studio/items/{item['id']}").text

    section = re.search(r'<section class="card" id="pictures".*?</section>', page, re.S).group(0)
    assert f'data-create-url="/api/v1/items/{item["id"]}/images"' in section
    assert 'data-image-url="/api/v1/images/{id}"' in section
    assert '<input id="picture-files" type="file" multiple' in section
    assert "studio-images.js" in page
    assert picture_rows(page) == [str(first), str(second)]
    hero = row(page, first)
    assert '<span class="badge hero">Hero</span>' in hero
    assert "badge hero" not in row(page, second)
    assert f"<code class=\"snippet\">![](image:{first})</code>" in hero
    # A small derivative as the preview; a picture smaller than 320 px shows its own width.
    assert re.search(rf'<img class="picture-preview" src="[^"]*/images/{first}/v\d+/320\.jpg',
                     hero)
    assert re.search(rf'src="[^"]*/images/{second}/v\d+/300\.jpg', row(page, second))
    assert 'name="alt-zh" lang="zh" dir="ltr" value="鼎"' in hero
    assert 'name="alt-en" lang="en" dir="ltr" value="The ding"' in hero
    assert 'name="caption-en" lang="en" dir="ltr" value="Seen from the front"' in hero
    assert 'name="credit" value="Photo: Li Wei"' in hero
    # Keyboard users move pictures with buttons: the first cannot go up, the last not down.
    assert "Move down" in hero and "Move up" not in hero
    assert "Move up" in row(page, second) and "Move down" not in row(page, second)


def test_the_forms_save_texts_and_order_and_need_the_csrf_token(app, client, editor_api):
    item = editor_api.create_item()
    first = add_image(app, item_id=item["id"], position=0, alt={"zh": "鼎"})
    second = add_image(app, item_id=item["id"], position=1)
    page = client.get(f"/studio/items/{item['id']}").text
    fields = {"alt-zh": "铭文", "alt-en": "The inscription", "caption-zh": "",
              "caption-en": "Cast inside the bowl", "credit": "CC BY 4.0"}

    refused = client.post(f"/studio/images/{second}", data=fields)
    assert refused.status_code in (302, 400)
    assert editor_api.get(f"/images/{second}").get_json()["alt"] == {}

    saved = client.post(f"/studio/images/{second}",
                        data={**fields, "csrf_token": csrf_token(page)})
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/studio/items/{item['id']}#pictures")
    image = editor_api.get(f"/images/{second}").get_json()
    assert image["alt"] == {"zh": "铭文", "en": "The inscription"}
    assert image["caption"] == {"en": "Cast inside the bowl"}
    assert image["credit"] == "CC BY 4.0"
    assert "Picture saved." in client.get(f"/studio/items/{item['id']}").text

    too_long = client.post(f"/studio/images/{second}",
                           data={**fields, "credit": "x" * 501, "csrf_token": csrf_token(page)})
    assert too_long.status_code == 302
    assert "credit" in client.get(f"/studio/items/{item['id']}").text
    assert editor_api.get(f"/images/{second}").get_json()["credit"] == "CC BY 4.0"

    assert client.post(f"/studio/images/{second}/up").status_code in (302, 400)
    assert editor_api.get(f"/images/{second}").get_json()["position"] == 1
    client.post(f"/studio/images/{second}/up", data={"csrf_token": csrf_token(page)})
    assert editor_api.get(f"/images/{second}").get_json()["position"] == 0
    assert editor_api.get(f"/images/{first}").get_json()["position"] == 1
    assert picture_rows(client.get(f"/studio/items/{item['id']}").text) == [
        str(second), str(first)]
    client.post(f"/studio/images/{second}/down", data={"csrf_token": csrf_token(page)})
    assert editor_api.get(f"/images/{first}").get_json()["position"] == 0


def test_deleting_a_picture_the_article_places_warns_first_naming_the_languages(
        app, client, editor_api):
    item = editor_api.create_item(body={"zh": "前言。\n\n![](image:1)", "en": "See ![](image:1)."})
    placed = add_image(app, item_id=item["id"], position=0, alt={"zh": "鼎"})
    assert placed == 1
    loose = add_image(app, item_id=item["id"], position=1)
    editor_api.patch(f"/items/{item['id']}", json={"body": {"zh": "![](image:1)", "en": "x"}})
    page = client.get(f"/studio/items/{item['id']}").text

    form = re.search(r'<form [^>]*class="picture-delete"[^>]*>', row(page, placed)).group(0)
    assert "The article in Chinese places this picture" in form
    assert "Placed in the article in: Chinese" in row(page, placed)
    assert "English" not in form
    plain = re.search(r'<form [^>]*class="picture-delete"[^>]*>', row(page, loose)).group(0)
    assert "Delete this picture? This cannot be undone." in plain

    editor_api.patch(f"/items/{item['id']}",
                     json={"body": {"zh": "![](image:1)", "en": "![A](image:1)"}})
    page = client.get(f"/studio/items/{item['id']}").text
    assert "The article in Chinese, English places this picture" in row(page, placed)

    assert client.post(f"/studio/images/{placed}/delete").status_code in (302, 400)
    assert editor_api.get(f"/images/{placed}").status_code == 200
    deleted = client.post(f"/studio/images/{placed}/delete",
                          data={"csrf_token": csrf_token(page)})
    assert deleted.status_code == 302
    assert editor_api.get(f"/images/{placed}").status_code == 404
    after = client.get(f"/studio/items/{item['id']}").text
    assert picture_rows(after) == [str(loose)] and "Picture deleted." in after


def test_the_exhibition_page_shows_its_cover(app, client, editor_api):
    response = editor_api.post("/exhibitions", json={
        "slug": "bronzes", "title": {"zh": "青铜器", "en": "Bronzes"}})
    assert response.status_code == 201, response.get_json()
    exhibition = response.get_json()
    cover = add_image(app, exhibition_id=exhibition["id"], position=0, alt={"zh": "展厅"})
    page = client.get(f"/studio/exhibitions/{exhibition['id']}").text
    assert f'data-create-url="/api/v1/exhibitions/{exhibition["id"]}/images"' in page
    assert '<span class="badge hero">Cover</span>' in row(page, cover)
    assert "image:" not in row(page, cover)
    saved = client.post(f"/studio/images/{cover}",
                        data={"alt-en": "The hall", "csrf_token": csrf_token(page)})
    assert saved.headers["Location"].endswith(
        f"/studio/exhibitions/{exhibition['id']}#pictures")
    assert editor_api.get(f"/images/{cover}").get_json()["alt"] == {"zh": "展厅",
                                                                   "en": "The hall"}


def test_the_words_read_in_chinese(app, client, editor_api):
    item = editor_api.create_item()
    add_image(app, item_id=item["id"], position=0)
    client.set_cookie("motpub_lang", "zh")
    page = client.get(f"/studio/items/{item['id']}").text
    assert "图片" in page and "主图" in page


class TestTenLanguages:
    @pytest.fixture
    def settings(self, tmp_path, database_url):
        return make_settings(tmp_path, database_url, languages=TEN)

    def test_the_picker_edits_one_language_beside_the_source(self, app, client, editor_api):
        item = editor_api.create_item()
        image = add_image(app, item_id=item["id"], alt={"zh": "鼎", "ar": "قدر"})
        page = client.get(f"/studio/items/{item['id']}?edit=ar&source=zh").text
        texts = re.search(r'<form [^>]*class="picture-texts".*?</form>', row(page, image),
                          re.S).group(0)
        assert re.findall(r'name="((?:alt|caption)-[\w-]+)"', texts) == ["alt-ar", "caption-ar"]
        assert f'id="alt-{image}-ar" name="alt-ar" lang="ar" dir="rtl" value="قدر"' in texts
        assert '<div class="source-text" lang="zh" dir="ltr">鼎</div>' in texts

        saved = client.post(f"/studio/images/{image}", data={
            "alt-ar": "قدر برونزي", "caption-ar": "", "credit": "", "edit": "ar",
            "source": "zh", "csrf_token": csrf_token(page)})
        assert saved.headers["Location"].endswith(
            f"/studio/items/{item['id']}?edit=ar&source=zh#pictures")
        assert editor_api.get(f"/images/{image}").get_json()["alt"] == {
            "zh": "鼎", "ar": "قدر برونزي"}
