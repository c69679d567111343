"""The studio with ten content languages, in headless Chromium against `motpub serve`: the
language picker edits Arabic right to left beside the Chinese source, a stale translation is
confirmed with its button, Enter in a field saves the form, and the studio's CSP holds (no
violation in the console)."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import running_server

pytestmark = pytest.mark.browser

LANGUAGES = "zh,zh-Hant,en,ru,ar,th,fr,es,ja,ko"


@pytest.fixture(scope="module")
def ten(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("e2e-languages"),
                        MOTPUB_LANGUAGES=LANGUAGES) as started:
        yield started


def _patch(ten, path: str, payload: dict) -> dict:
    request = urllib.request.Request(
        f"{ten.url}/api/v1{path}", data=json.dumps(payload).encode(), method="PATCH",
        headers={"Authorization": f"Bearer {ten.token}",
                 "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_an_editor_confirms_and_edits_arabic_beside_the_chinese(ten, browser, tmp_path):
    item = ten.api("POST", "/items", {"title": {"zh": "鼎", "ar": "قدر برونزي"},
                                         "default_language": "zh"})
    _patch(ten, f"/items/{item['id']}", {"title": {"zh": "青铜鼎", "ar": "قدر برونزي"}})
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-US")
    try:
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text)
                if message.type in ("error", "warning") and "favicon" not in message.text
                else None)
        page.goto(f"{ten.url}/studio/login")
        page.get_by_label("Email").fill(ten.email)
        page.get_by_label("Password").fill(ten.password)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{ten.url}/studio/items/{item['id']}?edit=ar&source=zh")

        arabic = page.locator("#title_ar")
        assert arabic.evaluate("field => getComputedStyle(field).direction") == "rtl"
        source = page.locator('.source-text[lang="zh"]').first
        assert source.inner_text() == "青铜鼎"
        assert source.evaluate("node => getComputedStyle(node).direction") == "ltr"
        expect(page.locator(".badge.stale")).to_have_count(1)
        page.screenshot(path=str(tmp_path / "picker-ar.png"), full_page=True)

        page.get_by_role("button", name="Confirm").click()
        expect(page.locator(".flash.ok")).to_contain_text("Translation confirmed")
        expect(page.locator(".badge.stale")).to_have_count(0)
        assert page.url.endswith(f"/studio/items/{item['id']}?edit=ar&source=zh#content")

        # Enter in a field submits the form with its Save button, not a Confirm button.
        page.locator("#title_ar").fill("قدر من البرونز")
        page.locator("#title_ar").press("Enter")
        expect(page.locator(".flash.ok")).to_contain_text("Saved")
        stored = ten.api("GET", f"/items/{item['id']}")
        assert stored["title"] == {"zh": "青铜鼎", "ar": "قدر من البرونز"}
        assert stored["translation_status"]["title"]["ar"] == "current"
        assert problems == []
    finally:
        context.close()
