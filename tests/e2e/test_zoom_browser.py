"""Deep zoom on a phone: the viewer is fetched only when the visitor taps a zoomable
picture, opens its tiles full screen under the page's strict CSP, and closes again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from motpub.app import create_app
from motpub.config import Settings
from tests.e2e.browser import wait_until
from tests.e2e.conftest import Server, running_server
from tests.factories import add_image

PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True,
             has_touch=True, locale="en-US")
# Recorded from before the page's first script: what the CSP refused, if anything.
VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture(scope="module")
def zoomable(tmp_path_factory) -> Iterator[tuple[Server, str]]:
    with running_server(tmp_path_factory.mktemp("zoom")) as server:
        item = server.api("POST", "/items", {"slug": "ding", "title": {
            "zh": "青铜鼎", "en": "Bronze ding"}})
        # Pictures as the worker leaves them, written into the server's own storage.
        app = create_app(Settings.from_env(server.env))
        try:
            add_image(app, item_id=item["id"], width=2400, height=1800, tiles=True,
                      alt={"zh": "鼎", "en": "The ding"}, caption={"en": "Tap to zoom"})
            add_image(app, item_id=item["id"], position=1, alt={"zh": "鼎足"})
        finally:
            runtime = app.extensions["motpub"]
            runtime.scan_recorder.flush()
            runtime.target_cache.close()
            runtime.engine.dispose()
        server.api("POST", f"/items/{item['id']}/publish")
        yield server, item["slug"]


def test_tap_opens_the_zoom_viewer_with_its_tiles_and_no_csp_violation(
        browser: Browser, zoomable):
    server, slug = zoomable
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.add_init_script(VIOLATIONS)
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" and "favicon" not in message.text else None)
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        tiles: list[int] = []
        levels: set[int] = set()

        def on_response(response) -> None:
            if "/tiles_files/" in response.url:
                tiles.append(response.status)
                levels.add(int(response.url.split("/tiles_files/")[1].split("/")[0]))
        page.on("response", on_response)
        page.goto(f"{server.url}/i/{slug}")
        hero = page.locator("figure.hero button.zoom")
        expect(hero).to_be_visible()
        page.wait_for_load_state("networkidle")
        # Nothing of the viewer before the tap.
        assert not [url for url in requested if "openseadragon" in url or "tiles" in url]

        hero.tap()
        viewer = page.locator(".viewer")
        expect(viewer).to_be_visible()
        expect(viewer.locator(".osd canvas").first).to_be_attached()
        wait_until(page, lambda: len(tiles) >= 4)
        assert set(tiles) == {200}
        assert any(url.endswith("/static/vendor/openseadragon.min.js") for url in requested)
        assert any(url.endswith("/tiles.dzi") for url in requested)
        # Full screen at phone size, its close button within reach.
        box = viewer.bounding_box()
        assert box and (box["width"], box["height"]) == (390, 844), box
        close = viewer.get_by_role("button", name="Close")
        close_box = close.bounding_box()
        assert close_box and close_box["x"] + close_box["width"] <= 390
        # A pinch is the viewer's, not the page's: it zooms in.
        zoom_before = page.evaluate("document.querySelector('.viewer').viewer.viewport.getZoom()")
        page.evaluate("document.querySelector('.viewer').viewer.viewport.zoomBy(4)")
        wait_until(page, lambda: page.evaluate(
            "document.querySelector('.viewer').viewer.viewport.getZoom()") > zoom_before)
        # The full resolution's tiles come in (2400 px wide: level 12 of the pyramid).
        wait_until(page, lambda: 12 in levels)

        close.tap()
        expect(viewer).to_have_count(0)
        expect(hero).to_be_focused()
        assert page.evaluate("window.__violations") == []
        assert not errors, errors
    finally:
        context.close()
