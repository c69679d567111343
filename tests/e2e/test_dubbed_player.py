"""A visitor reading the page in a dub's language hears the dub: Chromium, without HLS of its
own, plays through hls.js, which starts on the dub's audio rendition and fetches its
segments; the page's picker switches back to the video's own sound."""

from __future__ import annotations

import io
import subprocess

import pytest

from motpub.app import create_app
from motpub.config import Settings
from tests.e2e.browser import wait_until
from tests.factories import Api, complete, make_clip, run_jobs, upload

pytestmark = pytest.mark.browser

SECONDS = 6


def published_with_dub(server, tmp_path) -> str:
    """The code of a published item whose zh video (440 Hz) has an en dub (660 Hz), both
    processed in this process against the server's own database and files."""
    app = create_app(Settings.from_env(server.env))
    client = app.test_client()
    api = Api(client, server.token)
    item, code = api.published_item_with_code(title={"zh": "青铜鼎", "en": "Bronze ding"})
    clip = make_clip(tmp_path / "ding.mp4", seconds=SECONDS, size="320x180")
    plan = upload(api, client, item["id"], clip.read_bytes(), language="zh")
    complete(api, plan)
    assert run_jobs(app) == ["ready"]
    dub = tmp_path / "en.m4a"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=660:duration={SECONDS}", "-c:a", "aac", str(dub)],
                   check=True, timeout=60)
    added = api.post(f"/videos/{plan['video_id']}/audio-tracks",
                     data={"language": "en", "file": (io.BytesIO(dub.read_bytes()), "en.m4a")},
                     content_type="multipart/form-data")
    assert added.status_code == 202, added.get_json()
    assert run_jobs(app) == ["ready"]
    srt = b"1\r\n00:00:00,500 --> 00:00:05,000\r\nA bronze vessel\r\n"
    assert api.post(f"/videos/{plan['video_id']}/captions",
                    data={"language": "en", "file": (io.BytesIO(srt), "en.srt")},
                    content_type="multipart/form-data").status_code == 201
    app.extensions["motpub"].engine.dispose()
    return code


def test_the_english_page_plays_the_english_dub_through_hls_js(server, browser, tmp_path):
    code = published_with_dub(server, tmp_path)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, locale="en-US")
    try:
        page = context.new_page()
        requests, errors = [], []
        page.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda message: message.type == "error"
                and errors.append(message.text))
        page.goto(f"{server.url}/s/{code}?lang=en")
        video = page.locator("video#player")
        assert video.get_attribute("data-audio-language") == "en"
        assert page.locator("label[for=audio-language]").inner_text() == "Audio language"
        assert page.locator("#audio-language option").all_inner_texts() == ["中文", "English"]
        # Whether or not it plays HLS itself, Chromium cannot switch audio tracks natively.
        assert not page.evaluate("'audioTracks' in document.querySelector('video')")
        page.evaluate("document.querySelector('video').muted = true")
        video.dispatch_event("pointerdown")
        page.wait_for_function(
            "() => { const v = document.querySelector('video'); v.play().catch(() => {});"
            " return v.currentTime > 1; }", timeout=30_000, polling=500)
        playing = page.evaluate(
            "() => { const hls = document.querySelector('video').motpubHls;"
            " return [hls.audioTracks.map(t => t.lang), hls.audioTracks[hls.audioTrack].lang]; }")
        assert playing == [["zh", "en"], "en"]
        assert any(url.endswith("/static/vendor/hls.min.js") for url in requests)
        dub_segments = [url for url in requests if "/audio/en-" in url and ".m4s" in url]
        assert dub_segments, "the dub's segments were fetched"

        # Heard in English: the English captions are there once (hls.js adds none of its
        # own), and off.
        captions = ("() => Array.from(document.querySelector('video').textTracks)"
                    ".map(t => [t.language, t.mode])")
        assert page.evaluate(captions) in ([["en", "disabled"]], [["en", "hidden"]])

        # The picker goes back to the video's own sound, with English captions.
        page.select_option("#audio-language", "zh")
        wait_until(page, lambda: page.evaluate(
            "() => { const hls = document.querySelector('video').motpubHls;"
            " return hls.audioTracks[hls.audioTrack].lang === 'zh'; }"))
        assert page.evaluate(captions) == [["en", "showing"]]
        assert video.get_attribute("lang") == "zh"
        # hls.js runs its transmuxer in a worker of the page's own origin (a blob: URL).
        foreign = [url for url in requests
                   if not url.startswith((server.url, f"blob:{server.url}/"))]
        assert foreign == [], "no third-party request"
        assert not errors, errors
    finally:
        context.close()
