"""Phones set to Arabic and to traditional Chinese, on a deployment with ten content
languages: the Arabic page lays out right to left (the brand at the right, text starting at
the right edge), the traditional Chinese page shows traditional characters, and the language
menu opens without a script and leads to the page in the language chosen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Server, running_server

TEN = "zh,zh-Hant,en,ru,ar,th,fr,es,ja,ko"
PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
             has_touch=True)
ITEM = {
    "slug": "bronze-ding",
    "title": {"zh": "青铜鼎", "zh-Hant": "青銅鼎", "en": "Bronze ding", "ar": "قدر برونزي",
              "th": "หม้อสำริด"},
    "summary": {"zh": "商代晚期的礼器", "zh-Hant": "商代晚期的禮器",
                "ar": "إناء طقسي من أواخر عهد شانغ، ارتفاعه 80 سم"},
    "body": {"en": "A ritual vessel of the late Shang, 80 cm high."},
}


@pytest.fixture(scope="module")
def ten(tmp_path_factory) -> Iterator[tuple[Server, str]]:
    with running_server(tmp_path_factory.mktemp("ten-languages"),
                        MOTPUB_LANGUAGES=TEN) as server:
        item = server.api("POST", "/items", ITEM)
        server.api("POST", f"/items/{item['id']}/publish")
        code = server.api("POST", f"/items/{item['id']}/codes", {"label": "Hall 2"})["code"]
        yield server, code


def box(page: Page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found, f"{selector} is not laid out"
    return found


def test_arabic_phone_gets_a_right_to_left_page(browser: Browser, ten):
    server, code = ten
    context = browser.new_context(**PHONE, locale="ar-SA")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" else None)
        page.goto(f"{server.url}/s/{code}")
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        expect(page.locator("h1")).to_contain_text("قدر برونزي")
        # Mirrored: the brand sits at the right, the menu at the left, text starts at the right.
        brand, menu = box(page, ".brand"), box(page, "nav.languages summary")
        assert brand["x"] > 390 / 2 > menu["x"] + menu["width"], (brand, menu)
        title = box(page, "h1 span")
        assert 390 - (title["x"] + title["width"]) < 24, title
        # The English article runs left to right inside the Arabic page, with its marker.
        assert page.evaluate(
            "getComputedStyle(document.querySelector('article p:not(:has(.fallback))'))"
            ".direction") == "ltr"
        expect(page.locator("article .fallback")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert not errors, errors  # e.g. a CSP violation
    finally:
        context.close()


def test_traditional_chinese_phone_reads_traditional_and_picks_another_language(
        browser: Browser, ten):
    server, code = ten
    context = browser.new_context(**PHONE, locale="zh-TW")
    try:
        page = context.new_page()
        response = page.goto(f"{server.url}/s/{code}")
        assert response is not None and response.headers["content-language"] == "zh-Hant"
        assert page.locator("html").get_attribute("lang") == "zh-Hant"
        expect(page.locator("h1")).to_have_text("青銅鼎")
        expect(page.locator("p.summary")).to_have_text("商代晚期的禮器")
        assert page.evaluate("getComputedStyle(document.body).direction") == "ltr"
        # The menu: folded, opened by a tap, listing only the item's languages.
        links = page.locator("nav.languages a.switch")
        expect(links.first).to_be_hidden()
        page.locator("nav.languages summary").tap()
        expect(links).to_have_count(4)  # zh, en, ar, th; zh-Hant is the current one
        expect(page.locator('nav.languages [aria-current="page"]')).to_have_text("中文 (繁體)")
        page.locator('nav.languages a[hreflang="th"]').tap()
        expect(page).to_have_url(f"{server.url}/i/bronze-ding?lang=th")
        expect(page.locator("h1")).to_have_text("หม้อสำริด")
    finally:
        context.close()
