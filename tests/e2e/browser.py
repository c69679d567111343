"""Shared steps of the browser tests: an editor in the studio, uploads, console errors."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import EXPECT_TIMEOUT_MS, Server


def wait_until(page: Page, condition: Callable[[], bool], *,
               timeout_ms: float = EXPECT_TIMEOUT_MS) -> None:
    """Let the page run until `condition()` holds: for what the test's own event handlers
    record (requests, console messages), which expect() cannot watch."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        assert time.monotonic() < deadline, f"still false after {timeout_ms} ms"
        page.wait_for_timeout(50)  # Playwright delivers events while it waits


@contextmanager
def item_in_studio(browser: Browser, server: Server, title: str) -> Iterator[tuple[dict, Page]]:
    """A new item, and a logged-in editor on its page in a fresh context that accepts every
    confirm(); the context is closed afterwards."""
    item = server.api("POST", "/items", {"title": {"zh": "青铜鼎", "en": title}})
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-US")
    try:
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(f"{server.url}/studio/login")
        page.get_by_label("Email").fill(server.email)
        page.get_by_label("Password").fill(server.password)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{server.url}/studio/")
        page.goto(f"{server.url}/studio/items/{item['id']}")
        yield item, page
    finally:
        context.close()


def console_errors(page: Page) -> list[str]:
    """The console errors the page logs from now on (a missing favicon aside)."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "favicon" not in message.text else None)
    return errors


def choose_and_upload(page: Page, path: Path) -> None:
    page.locator("#upload-file").set_input_files(path)
    page.get_by_role("button", name="Upload", exact=True).click()


def expect_uploaded(page: Page) -> None:
    form = page.locator("#upload-form")
    expect(form.locator(".percent")).to_have_text("100 %")
    expect(form.locator("progress")).to_have_js_property("value", 1)
    expect(form.locator(".upload-message")).to_have_text(
        "Uploaded. The file is queued for processing.")
