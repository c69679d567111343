"""End to end, in headless Chromium against the real `motpub serve`.

An editor builds a bilingual item in the studio, previews, publishes, issues a code and
downloads its QR in three formats, which must decode to the printed URL. Visitors on phones
open the code and get their language, can switch it, and load a small, self-contained
page. The screenshots under docs/screenshots/ are written by these tests.
"""

from __future__ import annotations

import base64
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import PROJECT_ROOT, Server

pytestmark = pytest.mark.browser

SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
MAX_SCREENSHOT_BYTES = 500_000
MAX_PAGE_BYTES = 50_000

WECHAT_IOS_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/4G "
    "Language/zh_CN"
)
IPHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True,
              has_touch=True, user_agent=WECHAT_IOS_UA)

DING = {
    "title": {"zh": "商代晚期饕餮纹青铜鼎", "en": "Late Shang Bronze Ding with Taotie Mask"},
    "summary": {
        "zh": "公元前13至前11世纪的炊煮与祭祀礼器，1976年出土于河南安阳殷墟。",
        "en": "A ritual cooking vessel of the 13th to 11th century BCE, excavated at the "
              "Yinxu site in Anyang, Henan, in 1976.",
    },
    "body": {
        "zh": (
            "## 器物描述\n\n"
            "此鼎**圆腹三足**，口沿上立两耳。腹部以云雷纹为地，饰饕餮纹，"
            "纹饰凝重而精细，是商代晚期青铜铸造技术的代表。\n\n"
            "## 铭文\n\n"
            "内壁铸有铭文三字，记载作器者的族徽。\n\n"
            "- 通高：38.5 厘米\n"
            "- 口径：29 厘米\n"
            "- 重量：约 12 千克\n"
        ),
        "en": (
            "## Description\n\n"
            "This ding has a **round belly on three legs**, with two upright handles on the "
            "rim. The belly carries a *taotie* mask set against a ground of fine "
            "cloud-and-thunder spirals, a hallmark of late Shang bronze casting.\n\n"
            "## Inscription\n\n"
            "Three characters cast inside the wall record the clan emblem of its owner.\n\n"
            "- Height: 38.5 cm\n"
            "- Mouth diameter: 29 cm\n"
            "- Weight: about 12 kg\n"
        ),
    },
    "links": [{"url": "https://en.wikipedia.org/wiki/Ding_(vessel)",
               "title": {"zh": "鼎（维基百科）", "en": "Ding on Wikipedia"}}],
}
# What each language's rendered Markdown must show: (h2, emphasised words).
RENDERED = {"zh": ("铭文", "圆腹三足"), "en": ("Inscription", "round belly on three legs")}
# The interface strings follow the page's language: some Chinese, or the English wording.
BANNER = {"zh": re.compile(r"[\u4e00-\u9fff]"), "en": re.compile(r"^Preview\b")}
LINKS_HEADING = {"zh": re.compile(r"^[\u4e00-\u9fff]+$"), "en": re.compile(r"^Links$")}


# --- helpers -------------------------------------------------------------------------------


def decode_qr(image: Path) -> str:
    """The one QR symbol in an image, read by zbar."""
    result = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, f"zbarimg found no QR in {image}: {result.stderr}"
    symbols = result.stdout.splitlines()
    assert len(symbols) == 1, f"expected one QR symbol in {image}, got {symbols}"
    return symbols[0]


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        with error:
            return error.code


def published_item_with_code(server: Server, label: str) -> tuple[dict, str]:
    item = server.api("POST", "/items", DING)
    server.api("POST", f"/items/{item['id']}/publish")
    code = server.api("POST", f"/items/{item['id']}/codes", {"label": label})
    return item, code["code"]


def set_code_enabled(server: Server, code: str, enabled: bool) -> None:
    placement = server.api("PATCH", f"/codes/{code}", {"enabled": enabled})
    assert placement["enabled"] is enabled


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    size = path.stat().st_size
    assert size < MAX_SCREENSHOT_BYTES, f"{path} is {size} bytes"
    return path


def html_lang(page: Page) -> str | None:
    return page.locator("html").get_attribute("lang")


class Traffic:
    """Every request a page makes, and the bytes that came over the wire (Chromium's
    encodedDataLength: headers plus the body as transferred)."""

    def __init__(self, context: BrowserContext, page: Page):
        self.urls: list[str] = []
        self.bytes_by_request: dict[str, int] = {}
        self.failed: list[str] = []
        self.console_errors: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("console", lambda message: self.console_errors.append(message.text)
                if message.type == "error" else None)
        self.cdp = context.new_cdp_session(page)
        self.cdp.on("Network.requestWillBeSent",
                    lambda event: self.urls.append(event["request"]["url"]))
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.on("Network.loadingFailed",
                    lambda event: self.failed.append(event.get("errorText", "")))
        self.cdp.send("Network.enable")

    def _finished(self, event: dict) -> None:
        self.bytes_by_request[event["requestId"]] = int(event["encodedDataLength"])

    @property
    def total_bytes(self) -> int:
        return sum(self.bytes_by_request.values())

    def detach(self) -> None:
        self.cdp.detach()


def no_horizontal_scroll(page: Page, width: int) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} scrolls sideways: {scroll_width}px > {width}px"


# --- the editor ----------------------------------------------------------------------------


def test_editor_creates_previews_publishes_and_downloads_scannable_qr(
        browser: Browser, server: Server, tmp_path: Path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US",
                                  accept_downloads=True)
    try:
        page = context.new_page()

        # The studio asks for a login first, then returns to where the editor was going.
        page.goto(f"{server.url}/studio/")
        expect(page).to_have_url(re.compile(r"/studio/login\?next="))
        page.get_by_label("Email").fill(server.email)
        page.get_by_label("Password").fill(server.password)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{server.url}/studio/")

        page.get_by_role("link", name="New item").click()
        expect(page.get_by_role("heading", name="New item")).to_be_visible()
        for language, name in (("zh", "Chinese"), ("en", "English")):
            page.get_by_label(f"Title ({name})", exact=True).fill(DING["title"][language])
            page.get_by_label(f"Summary ({name})", exact=True).fill(DING["summary"][language])
            page.get_by_label(f"Article ({name}, Markdown)").fill(DING["body"][language])
        link = DING["links"][0]
        page.get_by_label("Links").fill(
            f"{link['url']} | {link['title']['zh']} | {link['title']['en']}")
        page.get_by_role("button", name="Create item").click()

        expect(page).to_have_url(re.compile(r"/studio/items/\d+$"))
        expect(page.get_by_role("status")).to_have_text("Item created.")
        expect(page.locator("h1")).to_contain_text(DING["title"]["en"])
        expect(page.locator("h1 .badge")).to_have_text("draft")
        slug = page.get_by_label("Slug").input_value()
        assert slug, "the slug should be made from the English title"
        assert http_status(f"{server.url}/i/{slug}") == 404, "a draft must not be public"

        # Previews open in a new tab, one per language, with a banner saying it is one.
        for language, name in (("zh", "Chinese"), ("en", "English")):
            with page.expect_popup() as popup_info:
                page.get_by_role("link", name=f"Preview in {name}").click()
            preview = popup_info.value
            preview.wait_for_load_state()
            assert html_lang(preview) == language
            expect(preview.locator("h1")).to_have_text(DING["title"][language])
            expect(preview.locator("p.summary")).to_have_text(DING["summary"][language])
            heading, emphasised = RENDERED[language]
            expect(preview.locator("article h2").nth(1)).to_have_text(heading)
            expect(preview.locator("article strong, article em").first).to_have_text(
                emphasised)
            expect(preview.locator("article li")).to_have_count(3)
            banner = preview.locator(".preview[role=status]")
            expect(banner).to_be_visible()
            expect(banner).to_contain_text(BANNER[language])
            preview.close()

        page.get_by_role("button", name="Publish").click()
        expect(page.get_by_role("status")).to_contain_text("Published")
        expect(page.locator("h1 .badge")).to_have_text("published")
        expect(page.get_by_role("link", name=f"{server.url}/i/{slug}")).to_be_visible()
        assert http_status(f"{server.url}/i/{slug}") == 200

        # The label box has no <label>: its accessible name comes from the placeholder.
        page.get_by_role("textbox", name="Label, e.g. Hall 2, case 14").fill("Hall 2, case 14")
        page.get_by_role("button", name="New code").click()
        expect(page).to_have_url(re.compile(r"#codes$"))
        expect(page.get_by_role("status")).to_contain_text("New code")
        row = page.locator("#codes tbody tr")
        expect(row).to_have_count(1)
        code = row.locator("span.code").inner_text().strip()
        assert re.fullmatch(r"[23456789abcdefghjkmnpqrstuvwxyz]{8}", code), code
        expect(row.locator("td").nth(2)).to_have_text("Hall 2, case 14")
        code_url = f"{server.url}/s/{code}"
        expect(row.get_by_role("link", name=code_url)).to_be_visible()
        expect(row.get_by_role("img", name=f"QR {code}")).to_be_visible()
        screenshot(page, "studio-item.png")

        downloads = {}
        for extension, content_type in (("png", "image/png"), ("svg", "image/svg+xml"),
                                        ("pdf", "application/pdf")):
            link = row.get_by_role("link", name=extension.upper(), exact=True)
            with page.expect_download() as download_info:
                link.click()
            download = download_info.value
            assert download.failure() is None
            assert download.suggested_filename == f"motpub-{code}.{extension}"
            path = tmp_path / download.suggested_filename
            download.save_as(path)
            downloads[extension] = path
            # The headers of the same link, fetched with the editor's session.
            response = context.request.get(server.url + link.get_attribute("href"))
            assert response.status == 200
            assert response.headers["content-type"].split(";")[0] == content_type
            assert response.headers["content-disposition"] == (
                f'attachment; filename="motpub-{code}.{extension}"')
            response.dispose()

        png = downloads["png"].read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert decode_qr(downloads["png"]) == code_url

        svg = downloads["svg"].read_bytes()
        assert svg.lstrip().startswith((b"<?xml", b"<svg")) and b"<svg" in svg[:300]
        # Render the SVG as a browser does and read that.
        svg_page = context.new_page()
        svg_page.set_viewport_size({"width": 500, "height": 500})
        svg_page.set_content(
            '<body style="margin:0;background:#fff"><img id="qr" style="width:400px" '
            f'src="data:image/svg+xml;base64,{base64.b64encode(svg).decode()}"></body>')
        svg_png = tmp_path / "svg-rendered.png"
        svg_page.locator("#qr").screenshot(path=str(svg_png))
        svg_page.close()
        assert decode_qr(svg_png) == code_url

        pdf = downloads["pdf"].read_bytes()
        assert pdf.startswith(b"%PDF-")
        subprocess.run(["pdftoppm", "-png", "-r", "300", "-f", "1", "-l", "1", "-singlefile",
                        str(downloads["pdf"]), str(tmp_path / "pdf-page")],
                       check=True, capture_output=True, timeout=30)
        assert decode_qr(tmp_path / "pdf-page.png") == code_url
    finally:
        context.close()


# --- visitors ------------------------------------------------------------------------------


def open_as_visitor(context: BrowserContext, url: str) -> tuple[Page, Traffic]:
    page = context.new_page()
    traffic = Traffic(context, page)
    response = page.goto(url)
    assert response is not None and response.status == 200
    page.wait_for_load_state("load")
    return page, traffic


def assert_small_and_self_contained(traffic: Traffic, server: Server) -> None:
    assert traffic.urls, "no request was seen"
    foreign = [url for url in traffic.urls if urlsplit(url).scheme in ("http", "https")
               and not url.startswith(server.url + "/")]
    assert not foreign, f"requests left the server: {foreign}"
    assert all(urlsplit(url).hostname == "127.0.0.1" for url in traffic.urls), traffic.urls
    assert not traffic.failed, traffic.failed
    assert not traffic.console_errors, traffic.console_errors  # e.g. CSP violations
    assert 0 < traffic.total_bytes < MAX_PAGE_BYTES, (
        f"{traffic.total_bytes} bytes over {len(traffic.urls)} requests")


def assert_item_page(page: Page, language: str) -> None:
    assert html_lang(page) == language
    expect(page.locator("h1")).to_have_text(DING["title"][language])
    expect(page.locator("p.summary")).to_have_text(DING["summary"][language])
    expect(page.locator("article h2").nth(1)).to_have_text(RENDERED[language][0])
    expect(page.locator(".preview")).to_have_count(0)
    expect(page.locator(".fallback")).to_have_count(0)


def test_phone_visitor_gets_their_language_can_switch_and_loads_a_small_page(
        browser: Browser, server: Server):
    item, code = published_item_with_code(server, "Hall 2, case 14")
    scan_url = f"{server.url}/s/{code}"
    switch_label = {"zh": "English", "en": "中文"}

    for language, locale in (("zh", "zh-CN"), ("en", "en-US")):
        context = browser.new_context(**IPHONE, locale=locale)
        try:
            page, traffic = open_as_visitor(context, scan_url)
            assert_item_page(page, language)
            assert_small_and_self_contained(traffic, server)
            traffic.detach()
            # The link list is there, in the page's language, headed in it too.
            expect(page.locator(".links h2")).to_have_text(LINKS_HEADING[language])
            expect(page.locator(".links a")).to_have_text(
                DING["links"][0]["title"][language])
            screenshot(page, f"visitor-{language}.png")

            # A thumb on the switch: the other language, remembered for the next scan.
            other = "en" if language == "zh" else "zh"
            switch = page.locator("header a.switch")
            expect(switch).to_be_visible()
            expect(switch).to_have_text(switch_label[language])
            box = switch.bounding_box()
            assert box and box["height"] >= 32, f"the switch is a small target: {box}"
            switch.tap()
            expect(page).to_have_url(f"{server.url}/i/{item['slug']}?lang={other}")
            assert_item_page(page, other)

            again = page.goto(scan_url)
            assert again is not None and again.headers["content-language"] == other
            assert_item_page(page, other)
            page.close()
        finally:
            context.close()


@pytest.mark.parametrize("query", ["", "?lang=en"])
def test_visitor_page_does_not_scroll_sideways_at_360px(browser: Browser, server: Server,
                                                        query: str):
    _item, code = published_item_with_code(server, "Hall 3")
    context = browser.new_context(**{**IPHONE, "viewport": {"width": 360, "height": 740}},
                                  locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{server.url}/s/{code}{query}")
        assert html_lang(page) == ("en" if query else "zh")
        no_horizontal_scroll(page, 360)
    finally:
        context.close()


# --- not found -----------------------------------------------------------------------------


def test_disabled_or_unknown_code_shows_bilingual_not_found(browser: Browser, server: Server):
    _item, code = published_item_with_code(server, "Hall 4, about to be withdrawn")
    assert http_status(f"{server.url}/s/{code}") == 200
    set_code_enabled(server, code, False)

    context = browser.new_context(**{**IPHONE, "viewport": {"width": 360, "height": 740}},
                                  locale="en-US")
    try:
        page = context.new_page()
        for path in (f"/s/{code}", "/s/nocode23", "/s/" + "x" * 300):
            response = page.goto(server.url + path)
            assert response is not None and response.status == 404, path
            assert html_lang(page) == "zh"
            expect(page).to_have_title("未找到 · Not found")
            expect(page.get_by_role("heading", name="未找到此页面")).to_be_visible()
            english = page.get_by_role("heading", name="Page not found")
            expect(english).to_be_visible()
            assert english.get_attribute("lang") == "en"
            expect(page.locator("p[lang=en]")).to_contain_text("ask a member of staff")
            expect(page.locator(".notfound")).not_to_contain_text(DING["title"]["en"])
            no_horizontal_scroll(page, 360)
    finally:
        context.close()
        set_code_enabled(server, code, True)
