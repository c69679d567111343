"""Label sheets: every code on every sheet decodes after printing at 300 dpi."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest
from PIL import Image
from sqlalchemy import update

from motpub.media.models.transcode_job import JobStatus
from motpub.codes.models.label_job import LabelJob
from motpub.orm import utcnow
from motpub.printing.labels import TEMPLATES
from motpub.codes.services.label_jobs import label_jobs_to_requeue
from tests.factories import run_jobs
from tests.support import login

DPI = 300
LONG_ZH = "商代晚期饕餮纹青铜方鼎，出土于河南安阳殷墟妇好墓，" * 3
LONG_EN = "Square bronze ding with taotie mask, late Shang dynasty, from the tomb of Fu Hao " * 2


@pytest.fixture
def exhibition(api) -> dict:
    ids = [api.create_item(slug="ding")["id"],
           api.create_item(slug="long", title={"zh": LONG_ZH, "en": LONG_EN})["id"],
           api.create_item(slug="english-only", title={"en": "Jade cong"})["id"]]
    created = api.post("/exhibitions", json={
        "slug": "bronzes", "title": {"zh": "青铜时代", "en": "The Bronze Age"}}).get_json()
    assert api.put(f"/exhibitions/{created['id']}/items",
                   json={"item_ids": ids}).status_code == 200
    api.post(f"/exhibitions/{created['id']}/codes", json={"label": "Entrance"})
    api.post(f"/exhibitions/{created['id']}/codes", json={"label": "Exit"})
    assert api.post("/codes/batch", json={"item_ids": ids, "count": 3}).status_code == 201
    return api.get(f"/exhibitions/{created['id']}").get_json()


def expected_urls(api, exhibition: dict) -> list[str]:
    urls = [code["url"] for code in exhibition["codes"]]
    for item_id in exhibition["item_ids"]:
        urls += [code["url"] for code in api.get(f"/items/{item_id}/codes").get_json()["codes"]]
    return urls


def decode_labels(pdf_path, tmp_path, template: str) -> list[str]:
    """Rasterize every page at 300 dpi and read each label's cell on its own, as a phone
    held over one label would."""
    subprocess.run(["pdftoppm", "-png", "-r", str(DPI), str(pdf_path), str(tmp_path / "page")],
                   check=True)
    sheet = TEMPLATES[template]
    px = DPI / 25.4
    found = []
    for page in sorted(tmp_path.glob("page-*.png")):
        image = Image.open(page)
        for slot in range(sheet.per_page):
            row, column = divmod(slot, sheet.columns)
            x = sheet.left_mm + column * sheet.pitch_x_mm
            y = sheet.top_mm + row * sheet.pitch_y_mm
            cell = tmp_path / "cell.png"
            image.crop((round(x * px), round(y * px), round((x + sheet.label_mm[0]) * px),
                        round((y + sheet.label_mm[1]) * px))).save(cell)
            result = subprocess.run(["zbarimg", "--raw", "-q", str(cell)],
                                    capture_output=True, text=True)
            found += result.stdout.split()
    return found


@pytest.mark.parametrize("template", ["a4-8", "a4-21", "letter-10"])
def test_every_code_on_every_sheet_decodes_in_exhibition_order(api, exhibition, tmp_path,
                                                              template):
    response = api.get(f"/exhibitions/{exhibition['id']}/labels.pdf?template={template}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(response.data)
    urls = expected_urls(api, exhibition)
    assert len(urls) == 11
    assert decode_labels(pdf, tmp_path, template) == urls
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    # Chinese in simplified Chinese forms, English in Noto Sans; all embedded and subsetted.
    assert {line.split()[0].partition("+")[2] for line in fonts} == {"NotoSansCJKSC",
                                                                      "NotoSans"}
    assert all(line.split()[-5:-2] == ["yes", "yes", "yes"] for line in fonts)
    # Vector codes: no image anywhere in the file.
    assert b"/Subtype /Image" not in response.data


def test_sheet_has_the_bilingual_titles_and_short_urls_as_text(api, exhibition, tmp_path):
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(api.get(f"/exhibitions/{exhibition['id']}/labels.pdf?template=a4-8").data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "青铜时代" in text and "The Bronze Age" in text and "Jade cong" in text
    for url in expected_urls(api, exhibition):
        assert url in text


def test_unknown_template_is_a_json_error(api, exhibition):
    response = api.get(f"/exhibitions/{exhibition['id']}/labels.pdf?template=a5-99")
    assert response.status_code == 422
    assert "a4-8, a4-21, letter-10" in response.get_json()["error"]["message"]


def test_exhibition_without_codes_has_nothing_to_print(api):
    created = api.post("/exhibitions", json={"slug": "empty", "title": {"en": "Empty"}})
    response = api.get(f"/exhibitions/{created.get_json()['id']}/labels.pdf")
    assert response.status_code == 422
    assert "no enabled codes" in response.get_json()["error"]["message"]


def test_missing_cjk_font_is_a_clear_503(app, api, exhibition, tmp_path):
    runtime = app.extensions["motpub"]
    runtime.settings = runtime.settings.replace(cjk_font_path=tmp_path / "none.ttf")
    response = api.get(f"/exhibitions/{exhibition['id']}/labels.pdf")
    assert response.status_code == 503
    assert "MOTPUB_CJK_FONT_PATH" in response.get_json()["error"]["message"]


def test_sheet_larger_than_the_direct_limit_is_built_by_a_worker_and_polled(
        app, api, exhibition, tmp_path):
    runtime = app.extensions["motpub"]
    runtime.settings = runtime.settings.replace(max_direct_labels=5)
    response = api.get(f"/exhibitions/{exhibition['id']}/labels.pdf?template=a4-21")
    assert response.status_code == 202
    job = response.get_json()
    assert job["status"] == "queued" and job["label_count"] == 11 and job["pdf_url"] is None
    assert response.headers["Location"] == job["status_url"] == f"/api/v1/label-jobs/{job['id']}"
    # Asking again while it waits builds it once.
    again = api.get(f"/exhibitions/{exhibition['id']}/labels.pdf?template=a4-21")
    assert again.status_code == 202 and again.get_json()["id"] == job["id"]
    assert api.get(f"/label-jobs/{job['id']}/labels.pdf").status_code == 409

    assert run_jobs(app) == ["succeeded", "skipped"]
    done = api.get(job["status_url"].removeprefix("/api/v1")).get_json()
    assert done["status"] == "succeeded" and done["progress"] == 1.0
    sheet = api.get(done["pdf_url"].removeprefix("/api/v1"))
    assert sheet.status_code == 200 and sheet.mimetype == "application/pdf"
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(sheet.data)
    assert decode_labels(pdf, tmp_path, "a4-21") == expected_urls(api, exhibition)


def test_label_job_whose_worker_died_is_handed_out_again(app, api, exhibition):
    runtime = app.extensions["motpub"]
    runtime.settings = runtime.settings.replace(max_direct_labels=5)
    job_id = api.get(f"/exhibitions/{exhibition['id']}/labels.pdf").get_json()["id"]
    with runtime.session_factory() as session, session.begin():
        session.execute(update(LabelJob).where(LabelJob.id == job_id).values(
            status=JobStatus.RUNNING, attempts=1, worker_id="dead:1",
            lease_expires_at=utcnow() - dt.timedelta(seconds=1)))
    with runtime.session_factory() as session, session.begin():
        assert label_jobs_to_requeue(session, stale_queued_s=300) == [job_id]
    assert api.get(f"/label-jobs/{job_id}").get_json()["status"] == "queued"
    assert api.get("/label-jobs/999999").status_code == 404


def test_studio_sends_a_large_sheet_to_a_worker_and_shows_its_progress(
        app, api, client, exhibition):
    runtime = app.extensions["motpub"]
    assert login(client, "editor@example.org").status_code == 302
    small = client.get(f"/studio/exhibitions/{exhibition['id']}/labels/a4-8")
    assert small.status_code == 302
    assert small.headers["Location"].endswith(
        f"/api/v1/exhibitions/{exhibition['id']}/labels.pdf?template=a4-8")
    runtime.settings = runtime.settings.replace(max_direct_labels=5)
    large = client.get(f"/studio/exhibitions/{exhibition['id']}/labels/a4-8")
    assert large.status_code == 302 and "/studio/label-jobs/" in large.headers["Location"]
    waiting = client.get(large.headers["Location"])
    assert waiting.status_code == 200 and 'http-equiv="refresh"' in waiting.text
    assert 'data-status="queued"' in waiting.text
    assert run_jobs(app) == ["succeeded"]
    ready = client.get(large.headers["Location"])
    assert 'http-equiv="refresh"' not in ready.text and 'data-status="succeeded"' in ready.text
    pdf_url = re.search(r'href="(/api/v1/label-jobs/\d+/labels\.pdf)"', ready.text).group(1)
    assert client.get(pdf_url).mimetype == "application/pdf"
