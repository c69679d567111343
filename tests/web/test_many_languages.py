"""Visitors of a deployment with ten content languages: which language each is served
(CLDR matching of regions and scripts, q-values, ?lang= over the cookie over the header),
field-by-field fallback along the chains with a marker and the text's lang and dir, pages
laid out right to left in Arabic, the 404 in the visitor's language, and a language menu of
the languages the item has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from motpub import i18n
from motpub.app import create_app
from motpub.i18n import LanguageSource, negotiate_language
from motpub.items.models import Item
from motpub.media.models.video import MediaKind, Video, VideoStatus
from motpub.web.extensions import limiter
from tests.factories import Api, add_user
from tests.support import make_settings

TEN = ("zh", "zh-Hant", "en", "ru", "ar", "th", "fr", "es", "ja", "ko")
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TITLE = {"zh": "青铜鼎", "zh-Hant": "青銅鼎", "en": "Bronze ding", "ar": "قدر برونزي",
         "th": "หม้อสำริด"}


@pytest.fixture
def settings(tmp_path, database_url):
    return make_settings(tmp_path, database_url, languages=TEN)


def html_tag(html: str) -> str:
    match = re.search(r"<html[^>]*>", html)
    assert match, "no <html> element"
    return match.group(0)


def menu(html: str) -> list[str]:
    """The languages of the menu, the current one starred."""
    entries = re.findall(r'<li><(a|span) class="switch( current)?"[^>]* lang="([^"]+)"', html)
    return [language + ("*" if current else "") for _tag, current, language in entries]


# --- negotiation -------------------------------------------------------------------------


@pytest.mark.parametrize(("languages", "header", "expected"), [
    (TEN, "zh-TW", "zh-Hant"),
    (TEN, "zh-HK,zh;q=0.9", "zh-Hant"),
    (TEN, "zh-MO", "zh-Hant"),
    (TEN, "zh-Hant-TW", "zh-Hant"),
    (TEN, "zh-CN", "zh"),
    (TEN, "zh-SG", "zh"),
    (TEN, "zh-Hans", "zh"),
    (TEN, "zh", "zh"),
    (TEN, "ar-EG,ar;q=0.9,en;q=0.8", "ar"),
    (TEN, "en-GB", "en"),
    (TEN, "th-TH", "th"),
    (TEN, "ja-JP", "ja"),
    (("zh", "en"), "zh-TW", "zh"),  # no traditional Chinese: simplified before English
    (("zh", "en"), "zh-Hant", "zh"),
    (("zh", "en", "pt"), "pt-BR", "pt"),
    (("zh", "en", "pt"), "pt-PT", "pt"),
    # q-values, not the order of the header
    (TEN, "de;q=1, ru;q=0.3, ko;q=0.7", "ko"),
    (TEN, "fr;q=0.2, es", "es"),
    (TEN, "ja;q=0, ko;q=0.1", "ko"),
    (TEN, "es;q=0.5, fr;q=0.5", "es"),  # a tie: the first sent
    # not configured, not a tag, not a language: passed over
    (TEN, "de-DE, he;q=0.9, ru;q=0.8", "ru"),
    (TEN, "x-klingon, 12345, *, en;q=0.1", "en"),
    (TEN, "en;q=abc, th;q=0.5", "th"),
    (TEN, "de, he, pt", None),
    (TEN, "", None),
])
def test_accept_language_is_matched_over_every_configured_language(languages, header,
                                                                   expected):
    try:
        i18n.configure(languages)
        chosen, source = negotiate_language(param=None, cookie=None, accept_languages=header,
                                            default="en")
        assert (chosen, source) == ((expected, LanguageSource.HEADER) if expected else
                                    ("en", LanguageSource.DEFAULT))
        # The same answer from the header parsed elsewhere (werkzeug's pairs).
        pairs = i18n.parse_accept_language(header)
        assert negotiate_language(param=None, cookie=None, accept_languages=pairs,
                                  default="en")[0] == chosen
    finally:
        i18n.configure(i18n.DEFAULT_LANGUAGES)


@pytest.mark.parametrize(("param", "cookie", "header", "expected", "source"), [
    ("zh-TW", "ko", "ar", "zh-Hant", LanguageSource.PARAM),
    ("ar", None, "zh-Hant", "ar", LanguageSource.PARAM),
    (None, "th", "ar", "th", LanguageSource.COOKIE),
    ("de", "ja", "ar", "ja", LanguageSource.COOKIE),  # an unknown ?lang= is passed over
    ("de", "he", "ru-RU", "ru", LanguageSource.HEADER),
    (None, None, "de, he", "ko", LanguageSource.DEFAULT),  # the item's default language
])
def test_scan_takes_param_then_cookie_then_header_then_the_items_default(
        api, client, param, cookie, header, expected, source):
    _item, code = api.published_item_with_code(title=TITLE, default_language="ko")
    if cookie:
        client.set_cookie("motpub_lang", cookie, domain="localhost")
    query = f"?lang={param}" if param else ""
    page = client.get(f"/s/{code}{query}", headers={"Accept-Language": header})
    assert page.status_code == 200
    assert page.headers["Content-Language"] == expected
    assert html_tag(page.text).startswith(f'<html lang="{expected}"')
    runtime = client.application.extensions["motpub"]
    runtime.scan_recorder.flush()
    from motpub.analytics.models.scan import Scan
    with runtime.session_factory() as session:
        scan = session.query(Scan).order_by(Scan.id.desc()).first()
    assert (scan.language, scan.language_source) == (expected, source)


def test_a_language_param_is_remembered_in_its_configured_spelling(api, client):
    item, _code = api.published_item_with_code(title=TITLE)
    page = client.get(f"/i/{item['slug']}?lang=zh-hk")
    assert page.headers["Content-Language"] == "zh-Hant"
    assert "motpub_lang=zh-Hant" in page.headers["Set-Cookie"]
    assert "青銅鼎" in page.text


# --- fallback ----------------------------------------------------------------------------


def test_each_field_falls_back_along_its_chain_with_a_marker_and_its_lang_and_dir(api, client):
    item, code = api.published_item_with_code(
        title={"zh": "青铜鼎", "en": "Bronze ding", "ar": "قدر برونزي"},
        summary={"zh": "商代晚期的礼器", "ko": "상나라 후기의 예기"},
        body={"en": "A *ritual* vessel, 80 cm high."},
        links=[{"url": "https://museum.example/ding", "title": {"ja": "所蔵品", "en": "Notes"}}],
        default_language="ko")

    # zh-Hant reads simplified Chinese before English.
    hant = client.get(f"/s/{code}?lang=zh-Hant").text
    assert html_tag(hant) == '<html lang="zh-Hant">'
    assert '<h1><span lang="zh">青铜鼎</span><span class="fallback" lang="zh-Hant">' in hant
    assert '<p class="summary"><span lang="zh">商代晚期的礼器</span>' in hant
    assert '<article lang="en">' in hant
    # Russian reads English, then the item's default language (Korean), then the rest.
    ru = client.get(f"/s/{code}?lang=ru").text
    assert '<p class="summary"><span lang="ko">상나라 후기의 예기</span>' in ru
    assert '<span lang="en">Notes</span><span class="fallback" lang="ru">' in ru

    # Arabic: the page runs right to left; English text in it runs left to right, isolated,
    # and the marker names English in the page's language.
    ar = client.get(f"/s/{code}?lang=ar").text
    assert html_tag(ar) == '<html lang="ar" dir="rtl">'
    assert '<h1><span lang="ar">قدر برونزي</span></h1>' in ar
    shown_in_english = i18n.render("Shown in %(language)s", "ar",
                                   {"language": i18n.language_name("en", "ar")})
    assert (f'<article lang="en" dir="ltr">\n<p><span class="fallback" lang="ar" dir="rtl">'
            f'{shown_in_english}</span></p>') in ar
    assert '<span lang="en" dir="ltr">Notes</span>' in ar
    assert f'<span class="fallback" lang="ar" dir="rtl">{shown_in_english}</span>' in ar
    # The marker names the language in the page's language, not the text's.
    zh = client.get(f"/s/{code}?lang=zh").text
    assert '<span class="fallback" lang="zh">以英文显示</span>' in zh
    en = client.get(f"/s/{code}?lang=en").text  # English, then the item's default (Korean)
    assert '<span lang="ko">상나라 후기의 예기</span><span class="fallback" lang="en">' \
        'Shown in Korean</span>' in en
    assert "only</span>" not in en


def test_text_in_a_language_no_longer_configured_is_kept_but_never_shown(
        settings, api, client):
    item, code = api.published_item_with_code(
        title={"zh": "青铜鼎", "ko": "청동 솥"}, summary={"ko": "상나라"}, default_language="ko")
    smaller = create_app(settings.replace(languages=("zh", "en", "ar")))
    try:
        visitor = smaller.test_client()
        for query in ("?lang=ko", "?lang=ar", ""):
            page = visitor.get(f"/s/{code}{query}", headers={"Accept-Language": "ko"})
            assert page.status_code == 200
            assert "청동" not in page.text and "상나라" not in page.text
            assert 'lang="ko"' not in page.text and "class=\"summary\"" not in page.text
            assert re.search(r'<h1><span lang="zh"( dir="ltr")?>青铜鼎</span>', page.text)
        assert menu(visitor.get(f"/i/{item['slug']}?lang=ar").text) == ["zh", "ar*"]
        # Kept: an editor of the smaller deployment still gets it from the API.
        token = add_user(smaller, "editor2@example.org", "editor")
        stored = Api(visitor, token).get(f"/items/{item['id']}").get_json()
        assert stored["title"]["ko"] == "청동 솥" and stored["summary"] == {"ko": "상나라"}
    finally:
        runtime = smaller.extensions["motpub"]
        runtime.scan_recorder.flush()
        runtime.target_cache.close()
        runtime.engine.dispose()
        limiter.reset()
        i18n.configure(TEN)


# --- the language menu -------------------------------------------------------------------


def test_menu_offers_only_the_languages_the_item_has_each_in_its_own_name(api, client):
    item, code = api.published_item_with_code(title=TITLE, summary={"ru": "Котёл"})
    page = client.get(f"/s/{code}?lang=th").text
    assert menu(page) == ["zh", "zh-Hant", "en", "ru", "ar", "th*"]
    assert '<a class="switch" href="/i/bronze-ding?lang=zh-Hant" lang="zh-Hant" ' \
        'hreflang="zh-Hant">中文 (繁體)</a>' in page
    assert 'lang="ar" dir="rtl" hreflang="ar">العربية</a>' in page
    assert '<span class="switch current" aria-current="page" lang="th">ไทย</span>' in page
    # More than three fold into a menu that needs no script, labelled in the page's language.
    assert '<nav class="languages" aria-label="Language">' in client.get(
        f"/s/{code}?lang=en").text
    assert "<details><summary>" in page and "<script>" not in page
    # In Arabic the Latin and Chinese names run their own way.
    ar = client.get(f"/s/{code}?lang=ar").text
    assert '<a class="switch" href="/i/bronze-ding?lang=en" lang="en" dir="ltr" ' \
        'hreflang="en">English</a>' in ar
    # A visitor in a language the item lacks is served a fallback, and the menu says which
    # language the page is in.
    ja = client.get(f"/s/{code}?lang=ja").text
    assert menu(ja)[-1] == "ja*"


def test_menu_counts_a_ready_audio_guide_in_a_language_without_texts(app, api, client):
    item, code = api.published_item_with_code(title={"zh": "青铜鼎", "en": "Bronze ding"})
    with app.extensions["motpub"].session_factory() as session:
        for language, master_key in (("fr", "videos/1/master.m3u8"), ("ja", None)):
            session.add(Video(item_id=item["id"], kind=MediaKind.AUDIO, language=language,
                              status=VideoStatus.READY if master_key else VideoStatus.QUEUED,
                              filename="guide.m4a", content_type="audio/mp4", size_bytes=1,
                              source_key="s", part_size_bytes=1, progress=1.0,
                              master_key=master_key))
        session.get(Item, item["id"]).touch()
        session.commit()
    # French: a ready audio guide. Japanese: still processing, so not offered.
    assert menu(client.get(f"/s/{code}?lang=zh").text) == ["zh*", "en", "fr"]


def test_menu_of_a_two_language_item_is_two_buttons_beside_the_brand(api, client):
    item, code = api.published_item_with_code(title={"zh": "青铜鼎", "en": "Bronze ding"})
    page = client.get(f"/s/{code}?lang=en").text
    assert menu(page) == ["zh", "en*"]
    assert "<details>" not in page


def test_exhibition_page_runs_right_to_left_with_marked_fallbacks(api, client):
    item = api.create_item(slug="ding", title={"zh": "青铜鼎", "en": "Bronze ding"})
    api.post(f"/items/{item['id']}/publish")
    exhibition = api.post("/exhibitions", json={
        "slug": "bronzes", "title": {"zh": "青铜时代", "ar": "العصر البرونزي"},
        "venue": "Hall 2", "starts_on": "2026-05-01", "ends_on": "2026-10-31"}).get_json()
    api.put(f"/exhibitions/{exhibition['id']}/items", json={"item_ids": [item["id"]]})
    page = client.get("/x/bronzes?lang=ar").text
    assert html_tag(page) == '<html lang="ar" dir="rtl">'
    assert '<h1><span lang="ar">العصر البرونزي</span></h1>' in page
    assert '<strong lang="en" dir="ltr">Bronze ding</strong><span class="fallback" ' \
        'lang="ar" dir="rtl">' in page
    assert "<bdi>Hall 2</bdi>" in page and '<time datetime="2026-05-01">' in page
    assert menu(page) == ["zh", "en", "ar*"]


# --- right to left -----------------------------------------------------------------------


def test_stylesheet_has_no_physical_left_or_right_left():
    css = (TEMPLATES / "public" / "_page.css").read_text()
    assert not re.search(r"(?<![\w-])(left|right)\b", css), "use logical properties"
    assert "margin-inline-start" in css and "padding-inline" in css
    assert "unicode-bidi:isolate" in css


def test_not_found_in_the_visitors_language_and_the_deployments_first(client):
    page = client.get("/s/NOPE", headers={"Accept-Language": "ar"})
    assert page.status_code == 404 and page.headers["Vary"] == "Accept-Language, Cookie"
    assert html_tag(page.text) == '<html lang="zh">'
    arabic = i18n.render("Page not found", "ar")
    assert f'<h1 lang="ar" dir="rtl">{arabic}</h1>' in page.text
    assert "<h1>未找到此页面</h1>" in page.text
    # Two languages, not ten.
    assert page.text.count("<h1") == 2
    assert "ページ" not in page.text and "Страница" not in page.text
    # Any page not found, not only a code's.
    assert f'<h1 lang="ar" dir="rtl">{arabic}</h1>' in client.get(
        "/no/such/page", headers={"Accept-Language": "ar"}).text
    # A visitor in the first language reads it once.
    assert client.get("/s/NOPE", headers={"Accept-Language": "zh-CN"}).text.count("<h1") == 1


def test_not_found_of_an_arabic_first_deployment_runs_right_to_left(tmp_path, database_url):
    app = create_app(make_settings(tmp_path, database_url, languages=("ar", "zh", "en")))
    try:
        page = app.test_client().get("/s/NOPE", headers={"Accept-Language": "zh-CN"})
        assert html_tag(page.text) == '<html lang="ar" dir="rtl">'
        assert '<h1 lang="zh" dir="ltr">未找到此页面</h1>' in page.text
    finally:
        app.extensions["motpub"].target_cache.close()
        app.extensions["motpub"].engine.dispose()
        i18n.configure(TEN)


def test_gs1_chooser_page_runs_right_to_left(api, client):
    item, _code = api.published_item_with_code(title=TITLE, links=[
        {"url": "https://example.org/ding", "title": {"ar": "المزيد", "en": "More"}}])
    assert api.patch(f"/items/{item['id']}", json={"gtin": "9506000134352"}).status_code == 200
    page = client.get("/01/09506000134352?linkType=gs1:pip", headers={
        "Accept-Language": "ar", "Accept": "text/html"})
    # The resolver's links are the item's page and the editor's link, in the visitor's language
    assert page.status_code == 300, page.text
    assert html_tag(page.text) == '<html lang="ar" dir="rtl">'
    assert '<h1><span lang="ar">قدر برونزي</span></h1>' in page.text
    assert "<bdi>المزيد</bdi>" in page.text


def test_outage_page_in_arabic_runs_right_to_left(app):
    from motpub.web import outage

    with app.test_request_context("/s/abc", headers={"Accept-Language": "ar"}):
        page = outage._visitor_page()
    assert page.status_code == 503 and page.headers["Content-Language"] == "ar"
    assert html_tag(page.get_data(as_text=True)) == '<html lang="ar" dir="rtl">'


def test_studio_error_page_in_arabic_runs_right_to_left(client):
    page = client.get("/studio/nope", headers={"Accept-Language": "ar"})
    assert page.status_code == 404
    assert html_tag(page.text) == '<html lang="zh">'  # the visitors' 404, in two languages
    forbidden = client.post("/studio/login", headers={"Accept-Language": "ar"})
    assert forbidden.status_code == 400
    assert html_tag(forbidden.text) == '<html lang="ar" dir="rtl">'
