"""Pictures on visitor pages: the hero, the gallery, pictures in the article, the exhibition's
cover and thumbnails, the zoom, and the alt text publishing asks for."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from motpub.web.pages import public_csp
from tests.factories import add_image, add_user
from tests.support import csrf_token, login


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes, in order."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str, **wanted) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag and all(
            attrs.get(key.rstrip("_")) == value for key, value in wanted.items())]


ALT = {"zh": "青铜鼎的正面", "en": "The ding from the front"}


def item_with_pictures(app, api, **fields) -> dict:
    item = api.create_item(slug="ding", **fields)
    add_image(app, item_id=item["id"], position=0, alt=ALT,
              caption={"zh": "正面", "en": "Front"}, credit="Photo: Li Wei, CC BY 4.0")
    add_image(app, item_id=item["id"], position=1, width=800, height=1000,
              alt={"zh": "鼎足"}, caption={"zh": "鼎足的细节"})
    add_image(app, item_id=item["id"], position=2, alt={"zh": "铭文", "en": "The inscription"})
    assert api.post(f"/items/{item['id']}/publish").status_code == 200
    return item


def test_hero_is_a_picture_with_modern_sources_fetched_first(app, api, client):
    item_with_pictures(app, api)
    html = client.get("/i/ding?lang=en").text
    tags = Tags(html)
    sources = tags.find("source")
    assert [s["type"] for s in sources[:2]] == ["image/avif", "image/webp"]
    assert re.fullmatch(r"(http://motpub\.test/media/images/1/v1/\d+\.avif \d+w, )+"
                        r"http://motpub\.test/media/images/1/v1/1280\.avif 1280w"
                        r"(, \S+ \d+w)*", sources[0]["srcset"])
    hero = tags.find("img", alt=ALT["en"])[0]
    assert hero["src"].endswith("/640.jpg") and hero["srcset"].endswith("1280.jpg 1280w")
    assert (hero["width"], hero["height"]) == ("1600", "1200")
    assert hero["fetchpriority"] == "high" and "loading" not in hero
    assert hero["sizes"] == sources[0]["sizes"] and "40rem" in hero["sizes"]
    # The placeholder shows at once, under the picture, with the same proportions.
    [placeholder] = [t for t in tags.find("img") if t.get("class") == "placeholder"][:1]
    assert placeholder["src"].startswith("data:image/webp;base64,")
    assert (placeholder["width"], placeholder["height"]) == ("1600", "1200")
    assert placeholder["alt"] == "" and placeholder["aria-hidden"] == "true"
    assert "style=" not in html
    assert html.index(hero["src"]) < html.index("<h1>")


def test_gallery_swipes_and_each_picture_is_lazy_with_its_caption_and_credit(app, api, client):
    item_with_pictures(app, api)
    html = client.get("/i/ding?lang=en").text
    gallery = html[html.index('<section class="gallery"'):]
    gallery = gallery[:gallery.index("</section>")]
    tags = Tags(gallery)
    pictures = [t for t in tags.find("img") if t.get("class") != "placeholder"]
    assert [p["alt"] for p in pictures] == ["鼎足", "The inscription"]
    assert [p.get("lang") for p in pictures] == ["zh", None]  # the fallback says its language
    assert all(p["loading"] == "lazy" and p["fetchpriority"] == "low" for p in pictures)
    assert pictures[0]["width"] == "800" and pictures[0]["height"] == "1000"
    # The caption in the visitor's language, else along the fallback chain, marked.
    assert '<span lang="zh">鼎足的细节</span><span class="fallback" lang="en">Shown in Chinese' in (
        gallery)
    hero_caption = html[html.index('<figure class="hero">'):html.index("</figure>")]
    assert '<span lang="en">Front</span>' in hero_caption
    assert "Photo: Li Wei, CC BY 4.0" in hero_caption
    css = client.get("/i/ding").text
    assert "scroll-snap-type:x mandatory" in css


def test_pictures_speak_the_visitors_language_in_chinese(app, api, client):
    item_with_pictures(app, api)
    html = client.get("/i/ding?lang=zh").text
    tags = Tags(html)
    assert [t["alt"] for t in tags.find("img") if t.get("class") != "placeholder"] == [
        "青铜鼎的正面", "鼎足", "铭文"]
    assert 'class="fallback"' not in html


def test_image_without_any_alt_text_has_an_empty_alt_and_not_ready_ones_are_not_shown(
        app, api, client):
    item = api.create_item(slug="ding")
    add_image(app, item_id=item["id"], position=0, alt={"zh": "鼎"})
    add_image(app, item_id=item["id"], position=1, status="failed")
    add_image(app, item_id=item["id"], position=2, status="uploading")
    other = add_image(app, item_id=item["id"], position=3, alt={"zh": "耳"})
    assert api.post(f"/items/{item['id']}/publish").status_code == 200
    # Alt text written in no configured language is never shown: an empty alt, not a broken one.
    with app.extensions["motpub"].session_factory() as session:
        from motpub.media.models.image import Image
        session.get(Image, other).alt = {"de": "Henkel"}
        session.commit()
    api.patch(f"/items/{item['id']}", json={"summary": {"zh": "新"}})  # a new revision
    tags = Tags(client.get("/i/ding?lang=en").text)
    pictures = [t for t in tags.find("img") if t.get("class") != "placeholder"]
    assert [p["alt"] for p in pictures] == ["鼎", ""]
    assert "/images/2/" not in str(tags.tags) and "/images/3/" not in str(tags.tags)


def test_article_places_this_items_ready_pictures_only(app, api, client):
    item = api.create_item(slug="ding")
    other = api.create_item(slug="jade")
    add_image(app, item_id=item["id"], position=0, alt={"zh": "鼎"})
    add_image(app, item_id=item["id"], position=1, alt={"zh": "铭文", "en": "The inscription"},
              caption={"zh": "铭文拓片"}, credit="Rubbing: Museum archive")
    add_image(app, item_id=other["id"], alt={"zh": "玉琮"})
    add_image(app, item_id=item["id"], position=2, status="processing", alt={"zh": "处理中"})
    body = ("Before.\n\n![written alt](image:2)\n\nInline ![x](image:1) here.\n\n"
            "![](image:3)\n\n![](image:4)\n\n![](image:99)\n\n"
            '<img src="image:2" onerror="alert(1)">\n\n[a link](image:2)\n\nAfter.')
    api.patch(f"/items/{item['id']}", json={"body": {"zh": body}})
    assert api.post(f"/items/{item['id']}/publish").status_code == 200
    html = client.get("/i/ding?lang=en").text
    article = html[html.index("<article"):html.index("</article>")]
    figures = re.findall(r'<figure class="picture">.*?</figure>', article)
    assert len(figures) == 1
    figure = Tags(figures[0])
    [img] = [t for t in figure.find("img") if t.get("class") != "placeholder"]
    assert img["alt"] == "The inscription" and img["loading"] == "lazy"
    assert (img["width"], img["height"]) == ("1600", "1200")
    assert [s["type"] for s in figure.find("source")] == ["image/avif", "image/webp"]
    assert '<span lang="zh">铭文拓片</span><span class="fallback" lang="en">Shown in Chinese' in (
        figures[0].replace(" <span", "<span"))
    assert "Rubbing: Museum archive" in figures[0]
    # Inside text, the picture alone; a foreign, unknown or unfinished image: nothing at all.
    assert re.search(r"<p>Inline <span class=\"pic\">.*?alt=\"鼎\"", article)
    assert "/images/3/" not in article and "/images/4/" not in article
    assert "image:" not in article and "onerror" not in article and "<img src=\"\"" not in (
        article)
    assert "After." in article and "Before." in article


def test_video_without_poster_uses_the_hero(app, api, client, session):
    from motpub.media.models.video import MediaKind, Video, VideoStatus

    item = api.create_item(slug="ding")
    add_image(app, item_id=item["id"], alt={"zh": "鼎"})
    session.add(Video(item_id=item["id"], kind=MediaKind.VIDEO, language=None,
                      status=VideoStatus.READY, filename="a.mp4", content_type="video/mp4",
                      size_bytes=1, source_key="sources/a", part_size_bytes=1, width=640,
                      height=360, version="v1", master_key="videos/1/v1/master.m3u8"))
    session.commit()
    assert api.post(f"/items/{item['id']}/publish").status_code == 200
    tags = Tags(client.get("/i/ding").text)
    [video] = tags.find("video")
    assert video["poster"] == "http://motpub.test/media/images/1/v1/640.jpg"
    # The hero is the player's poster, not shown twice.
    assert not tags.find("figure", class_="hero")


def test_pictures_keep_the_rtl_page_and_the_csp_as_they_were(app, api, client, tmp_path):
    item_with_pictures(app, api)
    response = client.get("/i/ding?lang=en")
    with app.test_request_context():
        assert response.headers["Content-Security-Policy"] == public_csp()
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "img-src 'self' data:;" in csp
    assert "unsafe-inline" not in csp and "<script>" not in response.text


@pytest.fixture
def arabic_app(tmp_path, database_url):
    from motpub.app import create_app
    from tests.support import make_settings

    app = create_app(make_settings(tmp_path, database_url, languages=("zh", "en", "ar")))
    yield app
    runtime = app.extensions["motpub"]
    runtime.scan_recorder.flush()
    runtime.target_cache.close()
    runtime.engine.dispose()


def test_arabic_page_with_pictures_is_right_to_left_with_arabic_alt(arabic_app):
    from tests.factories import Api

    client = arabic_app.test_client()
    api = Api(client, add_user(arabic_app, "editor@example.org", "editor"))
    item = api.create_item(slug="ding", title={"zh": "鼎", "ar": "قدر برونزي"})
    add_image(arabic_app, item_id=item["id"], alt={"zh": "鼎", "ar": "القدر من الأمام"},
              caption={"en": "Front"})
    add_image(arabic_app, item_id=item["id"], position=1, alt={"zh": "鼎足"})
    assert api.post(f"/items/{item['id']}/publish").status_code == 200
    html = client.get("/i/ding?lang=ar").text
    assert '<html lang="ar" dir="rtl">' in html
    tags = Tags(html)
    alts = [(t["alt"], t.get("lang")) for t in tags.find("img") if t.get("class") != "placeholder"]
    assert alts == [("القدر من الأمام", None), ("鼎足", "zh")]
    assert '<span lang="en" dir="ltr">Front</span>' in html


def test_zoomable_picture_is_a_button_and_loads_the_zoom_script_only_then(app, api, client):
    item = api.create_item(slug="ding")
    add_image(app, item_id=item["id"], alt={"zh": "鼎"}, width=600, height=450, tiles=True)
    assert api.post(f"/items/{item['id']}/publish").status_code == 200
    html = client.get("/i/ding?lang=en").text
    [button] = Tags(html).find("button", class_="pic zoom")
    assert button["data-dzi"] == "http://motpub.test/media/images/1/v1/tiles.dzi"
    assert '<script src="/static/zoom.js" data-viewer="/static/vendor/openseadragon.min.js"' in (
        html)
    assert "openseadragon.min.js\" defer" not in html  # the viewer itself only on a tap
    for key in ("tiles.dzi", "tiles_files/0/0_0.jpg", "tiles_files/10/2_1.jpg"):
        with client.get(f"/media/images/1/v1/{key}") as served:
            assert served.status_code == 200
    plain = api.create_item(slug="plain")
    add_image(app, item_id=plain["id"], alt={"zh": "鼎"})
    api.post(f"/items/{plain['id']}/publish")
    assert "zoom.js" not in client.get("/i/plain").text


def test_exhibition_shows_its_cover_and_each_items_hero_as_a_small_lazy_thumbnail(
        app, api, client):
    ding = item_with_pictures(app, api)
    exhibition = api.post("/exhibitions", json={
        "slug": "bronzes", "title": {"zh": "青铜时代", "en": "The Bronze Age"}}).get_json()
    api.put(f"/exhibitions/{exhibition['id']}/items", json={"item_ids": [ding["id"]]})
    add_image(app, exhibition_id=exhibition["id"], alt={"zh": "展厅", "en": "The hall"})
    response = client.get("/x/bronzes?lang=en")
    with app.test_request_context():
        assert response.headers["Content-Security-Policy"] == public_csp()
    tags = Tags(response.text)
    pictures = [t for t in tags.find("img") if t.get("class") != "placeholder"]
    cover, thumbnail = pictures
    assert cover["alt"] == "The hall" and cover["fetchpriority"] == "high"
    assert "/images/4/" in cover["src"]
    assert thumbnail["alt"] == ALT["en"] and thumbnail["loading"] == "lazy"
    assert thumbnail["sizes"] == "6rem" and "/images/1/" in thumbnail["src"]


def test_publishing_refuses_an_image_without_alt_text_in_the_default_language(app, api):
    item = api.create_item(slug="ding")
    add_image(app, item_id=item["id"], alt={"zh": "鼎"})
    missing = add_image(app, item_id=item["id"], position=1, alt={"en": "Only English"})
    add_image(app, item_id=item["id"], position=2, status="failed")  # shown nowhere
    response = api.post(f"/items/{item['id']}/publish")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and error["field"] == "alt"
    assert error["image_id"] == missing and error["language"] == "zh"
    assert f"Image {missing} (photo-1.jpg) has no alt text" in error["message"]
    assert f"图片 {missing}（photo-1.jpg）没有" in error["message"]
    assert api.get(f"/items/{item['id']}").get_json()["status"] == "draft"


def test_studio_says_in_its_language_which_image_lacks_alt_text(app, api, client):
    item = api.create_item(slug="ding")
    missing = add_image(app, item_id=item["id"], alt={})
    add_user(app, "studio@example.org", "editor")
    login(client, "studio@example.org")
    page = client.get(f"/studio/items/{item['id']}?ui=zh", headers={"Accept-Language": "zh"})
    response = client.post(f"/studio/items/{item['id']}/publish",
                           data={"csrf_token": csrf_token(page.text)}, follow_redirects=True,
                           headers={"Accept-Language": "zh-CN"})
    assert f"图片 {missing}（photo-0.jpg）没有" in response.text
    assert api.get(f"/items/{item['id']}").get_json()["status"] == "draft"
