"""End to end: an editor drops two pictures on the studio's drop zone, in headless Chromium
against the real `motpub serve` and a real `motpub worker`, waits for their previews,
reorders them by drag, writes alt text, and the API shows the new order and the alt text;
the strict studio CSP refuses nothing on the way."""

from __future__ import annotations

import base64
import io
import subprocess

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.browser import console_errors, item_in_studio
from tests.e2e.conftest import MOTPUB, PROJECT_ROOT, Server, stop_process

pytestmark = pytest.mark.browser

READY_TIMEOUT_MS = 90_000
GPS = {1: "N", 2: (39.0, 54.0, 24.0), 3: "E", 4: (116.0, 23.0, 30.0)}
# Recorded from before the page's first script, on every page the context opens.
VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""
DROP = """(files) => {
  const transfer = new DataTransfer();
  for (const file of files) {
    const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], file.name, { type: file.type }));
  }
  return transfer;
}"""


@pytest.fixture(scope="module")
def worker(server: Server, tmp_path_factory):
    """`motpub worker` on the server's data: the e2e server itself runs with --no-worker."""
    log_path = tmp_path_factory.mktemp("picture-worker") / "worker.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(MOTPUB), "worker", "--workers", "1"], env=server.env,
                                   cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    yield log_path
    stop_process(process, "motpub worker", log_path)


def gps_jpeg() -> bytes:
    """A phone photo with its GPS position in EXIF."""
    from PIL import Image

    picture = Image.new("RGB", (900, 600), (180, 60, 40))
    picture.paste((20, 90, 200), (0, 0, 450, 300))
    exif = Image.Exif()
    exif.get_ifd(0x8825).update(GPS)
    out = io.BytesIO()
    picture.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 640), (30, 140, 60)).save(out, format="PNG")
    return out.getvalue()


def test_dropped_pictures_upload_reorder_and_take_alt_text(browser: Browser, server: Server,
                                                           worker):
    with item_in_studio(browser, server, "Bronze ding with pictures") as (item, page):
        page.context.add_init_script(VIOLATIONS)
        errors = console_errors(page)
        page.reload()
        files = [{"name": "garden.jpg", "type": "image/jpeg",
                  "data": base64.b64encode(gps_jpeg()).decode()},
                 {"name": "glaze.png", "type": "image/png",
                  "data": base64.b64encode(png()).decode()}]
        transfer = page.evaluate_handle(DROP, files)
        page.locator("[data-role=dropzone]").dispatch_event("drop", {"dataTransfer": transfer})

        # Each file its own row, with its progress and status, while it uploads.
        uploads = page.locator(".picture-upload")
        expect(uploads).to_have_count(2)
        expect(uploads.nth(0).locator(".filename")).to_have_text("garden.jpg")
        expect(uploads.nth(1).locator(".filename")).to_have_text("glaze.png")

        # Once both are ready, the page shows them with previews, in the order dropped.
        previews = page.locator("#picture-list .picture-preview")
        expect(previews).to_have_count(2, timeout=READY_TIMEOUT_MS)
        images = server.api("GET", f"/items/{item['id']}/images")["images"]
        assert [(i["filename"], i["status"], i["position"]) for i in images] == [
            ("garden.jpg", "ready", 0), ("glaze.png", "ready", 1)]
        first, second = images[0]["id"], images[1]["id"]
        for preview in previews.all():
            expect(preview).to_have_js_property("complete", True)
            assert preview.evaluate("img => img.naturalWidth") > 0
            # What the studio shows carries no trace of where the photo was taken.
            served = page.request.get(preview.evaluate("img => img.currentSrc")).body()
            assert served.startswith(b"\xff\xd8") and b"GPS" not in served
            assert b"Exif" not in served
        expect(page.locator(f"#picture-{first} .badge.hero")).to_have_text("Hero")
        expect(page.locator(f"#picture-{first} .snippet")).to_have_text(f"![](image:{first})")

        # The PNG dragged onto the JPEG takes its place: it is the hero now.
        page.locator(f"#picture-{second} .picture-head").drag_to(
            page.locator(f"#picture-{first}"))
        expect(page.locator("#picture-list .picture").first).to_have_attribute(
            "id", f"picture-{second}")
        expect(page.locator(f"#picture-{second} .badge.hero")).to_have_text("Hero")

        page.locator(f"#alt-{second}-en").fill("A green glaze sample")
        page.locator(f"#alt-{second}-zh").fill("绿釉样本")
        page.locator(f"#picture-{second}").get_by_role("button", name="Save picture").click()
        expect(page.locator(f"#alt-{second}-en")).to_have_value("A green glaze sample")
        expect(page.get_by_text("Picture saved.")).to_be_visible()

        images = server.api("GET", f"/items/{item['id']}/images")["images"]
        assert [(i["id"], i["position"]) for i in images] == [(second, 0), (first, 1)]
        assert images[0]["alt"] == {"zh": "绿釉样本", "en": "A green glaze sample"}
        assert page.evaluate("window.__violations") == []
        assert errors == []


def test_refused_and_unreadable_pictures_show_why(browser: Browser, server: Server, worker):
    with item_in_studio(browser, server, "Bronze ding with a bad file") as (item, page):
        errors = console_errors(page)
        files = [{"name": "drawing.svg", "type": "image/svg+xml",
                  "data": base64.b64encode(b"<svg xmlns='http://www.w3.org/2000/svg'/>").decode()},
                 {"name": "broken.jpg", "type": "image/jpeg",
                  "data": base64.b64encode(b"not a picture at all" * 50).decode()}]
        transfer = page.evaluate_handle(DROP, files)
        page.locator("[data-role=dropzone]").dispatch_event("drop", {"dataTransfer": transfer})

        uploads = page.locator(".picture-upload")
        expect(uploads).to_have_count(2)
        # SVG is refused before any byte is sent; the unreadable file fails on the worker.
        expect(uploads.nth(0)).to_have_attribute("data-status", "failed")
        expect(uploads.nth(0).locator(".errors")).to_contain_text("SVG")
        expect(uploads.nth(1)).to_have_attribute("data-status", "failed",
                                                 timeout=READY_TIMEOUT_MS)
        expect(uploads.nth(1).locator("[data-role=status]")).to_have_text("Failed")
        expect(uploads.nth(1).locator(".errors")).to_contain_text("not a picture we can read")
        images = server.api("GET", f"/items/{item['id']}/images")["images"]
        assert [(i["filename"], i["status"]) for i in images] == [("broken.jpg", "failed")]
        assert page.locator("#picture-list .picture").count() == 0  # no reload: none ready
        assert [e for e in errors if "422" not in e] == []
