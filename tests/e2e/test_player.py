"""A visitor's phone plays the transcoded video: HLS natively, or through the lazily loaded
fallback when the browser has no HLS of its own (as desktop Chromium)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from motpub.app import create_app
from motpub.config import Settings
from tests.e2e.browser import wait_until
from tests.factories import Api, complete, make_clip, run_jobs, upload

pytestmark = pytest.mark.browser


def published_with_video(server, clip) -> str:
    """The code of a new published item with the clip as its video, transcoded in this
    process against the server's own database and files."""
    app = create_app(Settings.from_env(server.env))
    client = app.test_client()
    api = Api(client, server.token)
    item, code = api.published_item_with_code(title={"zh": "青铜鼎", "en": "Bronze ding"})
    plan = upload(api, client, item["id"], clip.read_bytes(), language="zh")
    complete(api, plan)
    assert run_jobs(app) == ["ready"]
    app.extensions["motpub"].engine.dispose()
    return code


@contextmanager
def phone_page(browser, *, height: int) -> Iterator:
    """A page in a fresh phone-sized context (390 px wide, touch), closed afterwards."""
    context = browser.new_context(viewport={"width": 390, "height": height}, is_mobile=True,
                                  has_touch=True, locale="en-US")
    try:
        yield context.new_page()
    finally:
        context.close()


def test_visitor_page_plays_the_transcoded_video(server, browser, tmp_path):
    code = published_with_video(server, make_clip(tmp_path / "ding.mp4", seconds=6,
                                                  size="640x360"))

    with phone_page(browser, height=844) as page:
        requests, errors, beacons_sent = [], [], []
        page.on("request", lambda request: requests.append(request.url))
        page.on("request", lambda request: request.url.endswith("/e")
                and beacons_sent.append(request.post_data))
        page.on("console", lambda message: message.type == "error"
                and errors.append(message.text))
        page.goto(f"{server.url}/s/{code}")
        video = page.locator("video#player")
        assert video.get_attribute("preload") == "none"
        assert video.get_attribute("poster")
        native = page.evaluate(
            "document.querySelector('video').canPlayType('application/vnd.apple.mpegurl')")
        page.evaluate("const v = document.querySelector('video'); v.muted = true;")
        video.dispatch_event("pointerdown")
        page.wait_for_function(
            "() => { const v = document.querySelector('video'); v.play().catch(() => {});"
            " return v.currentTime > 1; }", timeout=30_000, polling=500)
        wait_until(page, lambda: any(json.loads(body)["k"] == "video_start"
                                     for body in beacons_sent))
        kinds = [json.loads(body)["k"] for body in beacons_sent]
        assert "video_start" in kinds, kinds
        if not native:
            assert any(url.endswith("/static/vendor/hls.light.min.js") for url in requests)
        assert any(".m4s" in url for url in requests), "segments were fetched"
        assert all(url.startswith(server.url) for url in requests), "no third-party request"
        assert not errors, errors


def test_a_portrait_video_fits_the_phone_screen_with_its_controls(server, browser, tmp_path):
    code = published_with_video(server, make_clip(tmp_path / "phone.mp4", seconds=2,
                                                  size="360x640"))
    # A phone's screen less the browser's bars, as in WeChat.
    with phone_page(browser, height=700) as page:
        page.goto(f"{server.url}/s/{code}")
        video = page.locator("video#player")
        first = video.bounding_box()
        assert first["width"] == 390
        assert first["height"] <= 0.75 * 700 + 1  # not 693 px: its full width's height
        assert first["y"] + first["height"] <= 700  # the controls are on the first screen
        page.wait_for_function("document.querySelector('video').poster !== ''")
        page.wait_for_timeout(500)
        assert video.bounding_box() == first  # sized before anything loads: nothing shifts
