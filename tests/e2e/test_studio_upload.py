"""End to end: an editor uploads media in the studio, in headless Chromium against the real
`motpub serve` and a real `motpub worker`.

The upload goes through the page's own scripts (static/studio-*.js): parts PUT in
parallel, completion, the status polled until the worker has made the renditions, and the
preview player. Interrupted uploads resume after a reload, or when the network comes back,
sending only the parts the server lacks.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect

from tests.e2e.browser import choose_and_upload, console_errors, expect_uploaded, item_in_studio
from tests.e2e.conftest import MOTPUB, PROJECT_ROOT, Server, stop_process
from tests.factories import make_clip

pytestmark = pytest.mark.browser

SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
MAX_SCREENSHOT_BYTES = 500_000
READY_TIMEOUT_MS = 60_000
PART_BYTES = 8 * 2**20  # the server's smallest part size
PART_PUT = re.compile(r"/api/v1/videos/\d+/parts/(\d+)\?")
SRT = "1\n00:00:00,500 --> 00:00:02,500\nA moving test pattern\n"


@pytest.fixture(scope="module")
def worker(server: Server, tmp_path_factory):
    """`motpub worker` on the server's data: the e2e server itself runs with --no-worker."""
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(MOTPUB), "worker", "--workers", "1"], env=server.env,
                                   cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    yield log_path
    stop_process(process, "motpub worker", log_path)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("upload") / "bronze-ding.mp4")


@pytest.fixture(scope="module")
def three_part_file(tmp_path_factory) -> Path:
    """Two whole parts and a short third: a real clip padded with random bytes, since
    encoding 17 MB of video would be slow and these tests only need it uploaded."""
    path = make_clip(tmp_path_factory.mktemp("upload") / "long-take.mp4")
    with path.open("ab") as file:
        file.write(os.urandom(2 * PART_BYTES + 2**20 - path.stat().st_size))
    return path


# --- helpers -------------------------------------------------------------------------------


def part_puts(page: Page) -> list[int]:
    """The part numbers the page PUTs from now on, in order."""
    numbers: list[int] = []

    def record(request):
        match = PART_PUT.search(request.url)
        if request.method == "PUT" and match:
            numbers.append(int(match.group(1)))

    page.on("request", record)
    return numbers


def start_a_retrying_upload(page: Page, path: Path) -> Locator:
    """An upload whose every part PUT fails, so that it stays in flight, retrying; the form."""
    page.route(PART_PUT, lambda route: route.abort("connectionreset"))
    choose_and_upload(page, path)
    form = page.locator("#upload-form")
    expect(form.locator(".upload-message")).to_contain_text("trying again")
    return form


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size < MAX_SCREENSHOT_BYTES, f"{path} is too large"
    return path


# --- tests ---------------------------------------------------------------------------------


def test_editor_uploads_a_clip_sees_it_processed_previews_it_and_adds_captions(
        browser: Browser, server: Server, worker, clip: Path, tmp_path: Path):
    with item_in_studio(browser, server, "Bronze ding") as (item, page):
        errors = console_errors(page)
        expect(page.locator("#video-list .video")).to_have_count(0)
        page.get_by_label("Spoken language").select_option("en")
        with page.expect_response(lambda r: r.url.endswith("/complete")) as completed:
            choose_and_upload(page, clip)
        assert completed.value.status == 202
        assert completed.value.json()["status"] == "queued"
        expect_uploaded(page)

        row = page.locator("#video-list .video")
        expect(row).to_have_count(1)
        expect(row.locator(".filename")).to_contain_text("bronze-ding.mp4")
        expect(row.locator(".badge").first).to_have_text("English")
        # Polled every 2 s: queued, processing, then ready with a preview player.
        status = row.locator("[data-role=status]")
        expect(status).to_have_text(re.compile(r"^(Queued|Processing|Ready)$"))
        expect(status).to_have_text("Ready", timeout=READY_TIMEOUT_MS)
        player = row.locator("video[data-hls]")
        expect(player).to_be_visible()
        video = server.api("GET", f"/videos/{row.get_attribute('data-video-id')}")
        assert player.get_attribute("data-hls") == video["hls_url"]
        assert player.get_attribute("poster") == video["poster_url"]
        expect(row.locator(".filename")).to_contain_text("180p")

        # The preview plays, natively or through hls.js, which player.js loads lazily: ask
        # again until it has attached.
        page.wait_for_function(
            "media => { media.muted = true; media.play().catch(() => {});"
            " return media.currentTime > 0.5; }",
            arg=player.element_handle(), polling=500, timeout=20_000)
        player.evaluate("media => media.pause()")

        srt = tmp_path / "bronze-ding.en.srt"
        srt.write_text(SRT)
        captions = row.locator(".captions")
        captions.get_by_label("Language").select_option("en")
        captions.get_by_label("SRT or WebVTT file").set_input_files(srt)
        captions.get_by_role("button", name="Add captions").click()
        expect(captions.get_by_role("link", name="English (WebVTT)")).to_be_visible()
        expect(row.locator("video track[srclang=en]")).to_have_count(1)
        page.locator("#media").scroll_into_view_if_needed()
        screenshot(page, "studio-video.png")

        captions.get_by_role("button", name="Delete").click()
        expect(row.locator(".captions")).to_contain_text("No captions yet.")

        # Replace: the same form uploads to /replace; the video keeps its id and language.
        row.get_by_role("button", name="Replace").click()
        expect(page.locator(".replace-note")).to_contain_text("Replacing bronze-ding.mp4")
        expect(page.get_by_label("Spoken language")).to_be_hidden()
        with page.expect_response(lambda r: r.url.endswith("/replace")) as replaced:
            with page.expect_response(lambda r: r.url.endswith("/complete")) as completed:
                choose_and_upload(page, clip)
        assert replaced.value.status == 201 and completed.value.status == 202
        expect_uploaded(page)
        expect(page.locator(".replace-note")).to_be_hidden()
        expect(row).to_have_count(1)
        expect(status).to_have_text("Ready", timeout=READY_TIMEOUT_MS)
        expect(row.locator(".badge").first).to_have_text("English")

        row.get_by_role("button", name="Delete").click()
        expect(page.locator("#video-list .video")).to_have_count(0)
        assert server.api("GET", f"/items/{item['id']}/videos")["videos"] == []
        assert errors == []


def test_a_file_that_is_no_video_fails_with_both_languages_and_can_be_retried(
        browser: Browser, server: Server, worker, tmp_path: Path):
    junk = tmp_path / "not-a-video.mp4"
    junk.write_bytes(b"this is not a video" * 1000)
    with item_in_studio(browser, server, "Junk") as (item, page):
        choose_and_upload(page, junk)
        expect_uploaded(page)
        row = page.locator("#video-list .video")
        expect(row.locator("[data-role=status]")).to_have_text("Failed",
                                                               timeout=READY_TIMEOUT_MS)
        error = row.locator(".video-error")
        expect(error.locator("p[lang=en]")).not_to_be_empty()
        expect(error.locator("p[lang=zh]")).to_have_text(re.compile(r"[\u4e00-\u9fff]"))
        with page.expect_response(lambda r: r.url.endswith("/row")) as refreshed:
            with page.expect_response(lambda r: r.url.endswith("/retry")) as retried:
                row.get_by_role("button", name="Retry").click()
        assert retried.value.status == 202 and retried.value.json()["status"] == "queued"
        assert refreshed.value.status == 200
        expect(row.locator("[data-role=status]")).to_have_text("Failed",
                                                               timeout=READY_TIMEOUT_MS)


def test_a_reloaded_page_resumes_the_upload_with_only_the_missing_parts(
        browser: Browser, server: Server, worker, three_part_file: Path):
    with item_in_studio(browser, server, "Resumed upload") as (item, page):
        # Part 1 gets through; the connection then fails for the others, and the editor
        # reloads the page while the script is still retrying them.
        def first_part_only(route: Route) -> None:
            if PART_PUT.search(route.request.url).group(1) == "1":
                route.continue_()
            else:
                route.abort("connectionreset")

        page.route(PART_PUT, first_part_only)
        with page.expect_response(lambda r: bool(PART_PUT.search(r.url))) as first:
            choose_and_upload(page, three_part_file)
        assert first.value.status == 200 and "/parts/1?" in first.value.url
        expect(page.locator(".upload-message")).to_contain_text("trying again")

        page.reload()
        # Only now: a retry of the page before the reload must not get through either.
        page.unroute(PART_PUT)
        expect(page.locator(".upload-message")).to_have_text(
            "The upload of long-take.mp4 was interrupted. "
            "Choose the same file again to resume it.")
        row = page.locator("#video-list .video")
        expect(row.locator("[data-role=status]")).to_have_text("Uploading")

        puts = part_puts(page)
        # Choosing the same file is enough: the upload carries on by itself.
        page.locator("#upload-file").set_input_files(three_part_file)
        expect_uploaded(page)
        assert sorted(puts) == [2, 3], puts
        video = server.api("GET", f"/videos/{row.get_attribute('data-video-id')}")
        assert video["status"] in ("queued", "processing", "ready", "failed")
        assert video["size_bytes"] == three_part_file.stat().st_size
        assert page.evaluate("Object.keys(localStorage).length") == 0


def test_upload_pauses_offline_and_carries_on_when_the_network_is_back(
        browser: Browser, server: Server, worker, three_part_file: Path):
    with item_in_studio(browser, server, "Flaky Wi-Fi") as (item, page):
        context = page.context
        puts = part_puts(page)
        # The venue Wi-Fi drops while part 2 is on its way.
        def drop_at_part_two(route: Route) -> None:
            if PART_PUT.search(route.request.url).group(1) == "2":
                context.set_offline(True)
                route.abort("internetdisconnected")
            else:
                route.continue_()

        page.route(PART_PUT, drop_at_part_two)
        choose_and_upload(page, three_part_file)
        message = page.locator(".upload-message")
        expect(message).to_have_text(
            "Paused: no network. The upload continues by itself when the connection is back.")
        page.unroute(PART_PUT)
        page.wait_for_timeout(1500)  # nothing is retried while offline
        sent_offline = list(puts)
        context.set_offline(False)
        expect_uploaded(page)
        assert sent_offline.count(2) == 1, sent_offline
        assert puts.count(2) == 2 and sorted(set(puts)) == [1, 2, 3], puts
        video_id = page.locator("#video-list .video").get_attribute("data-video-id")
        assert urlsplit(page.url).path == f"/studio/items/{item['id']}"
        assert server.api("GET", f"/videos/{video_id}")["size_bytes"] == \
            three_part_file.stat().st_size


def test_cancel_stops_the_upload_and_deletes_the_video(browser: Browser, server: Server,
                                                       three_part_file: Path):
    with item_in_studio(browser, server, "Cancelled upload") as (item, page):
        form = start_a_retrying_upload(page, three_part_file)
        expect(page.locator("#video-list .video")).to_have_count(1)
        form.get_by_role("button", name="Cancel").click()
        expect(form.locator(".upload-message")).to_have_text("Upload cancelled.")
        expect(page.locator("#video-list .video")).to_have_count(0)
        assert server.api("GET", f"/items/{item['id']}/videos")["videos"] == []
        assert page.evaluate("Object.keys(localStorage).length") == 0
        expect(form.get_by_role("button", name="Upload", exact=True)).to_be_enabled()


def test_cancelling_a_replacement_keeps_the_video_ready_with_its_file(
        browser: Browser, server: Server, worker, clip: Path, three_part_file: Path):
    with item_in_studio(browser, server, "Replacement cancelled") as (item, page):
        choose_and_upload(page, clip)
        row = page.locator("#video-list .video")
        status = row.locator("[data-role=status]")
        expect(status).to_have_text("Ready", timeout=READY_TIMEOUT_MS)
        video_id = row.get_attribute("data-video-id")

        row.get_by_role("button", name="Replace").click()
        form = start_a_retrying_upload(page, three_part_file)
        expect(status).to_have_text("Uploading")
        with page.expect_response(lambda r: r.url.endswith("/upload")
                                  and r.request.method == "DELETE") as cancelled:
            form.get_by_role("button", name="Cancel").click()
        assert cancelled.value.status == 200
        expect(form.locator(".upload-message")).to_have_text(
            "Replacement cancelled: the current file stays in use.")
        # At once, not at the next cleanup: the row and the API say ready, with the old file.
        expect(status).to_have_text("Ready")
        expect(row.locator(".filename")).to_contain_text("bronze-ding.mp4")
        video = server.api("GET", f"/videos/{video_id}")
        assert video["status"] == "ready" and video["hls_url"]


def test_deleting_the_video_in_the_list_stops_its_upload(browser: Browser, server: Server,
                                                         three_part_file: Path):
    with item_in_studio(browser, server, "Deleted while uploading") as (item, page):
        form = start_a_retrying_upload(page, three_part_file)
        page.locator("#video-list .video").get_by_role("button", name="Delete").click()
        expect(page.locator("#video-list .video")).to_have_count(0)
        puts = part_puts(page)  # the row goes once the form has been told
        # The list tells the form: the upload stops, forgets its plan and frees the form.
        expect(form.locator(".upload-progress")).to_be_hidden()
        expect(form.locator(".upload-message")).to_have_text("")
        expect(form.get_by_role("button", name="Upload", exact=True)).to_be_enabled()
        assert page.evaluate("Object.keys(localStorage).length") == 0
        page.wait_for_timeout(2500)  # past the first retries' back-off
        assert puts == []
        assert server.api("GET", f"/items/{item['id']}/videos")["videos"] == []
