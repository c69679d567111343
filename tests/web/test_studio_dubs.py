"""Dubs in the studio: the video's row lists them with their status and a delete button, and
its form posts a file in another configured language, as the page's script does (the
session and the CSRF header); what is refused reads in the editor's languages."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest

from tests.factories import Api, add_user, complete, make_clip, run_jobs, upload
from tests.support import login

SECONDS = 6


def tone(path: Path, seconds: float) -> bytes:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=660:duration={seconds}", "-c:a", "aac", str(path)],
                   check=True, timeout=60)
    return path.read_bytes()


@pytest.fixture
def studio_video(app, client, tmp_path):
    """A signed-in editor's client, the item's id and a ready zh video's id."""
    token = add_user(app, "editor@example.org", "editor")
    api = Api(client, token)
    item = api.create_item()
    clip = make_clip(tmp_path / "ding.mp4", seconds=SECONDS, size="160x90")
    plan = upload(api, client, item["id"], clip.read_bytes(), language="zh")
    complete(api, plan)
    assert run_jobs(app) == ["ready"]
    assert login(client, "editor@example.org").status_code == 302
    return item["id"], plan["video_id"]


def post_dub(client, csrf: str | None, video_id: int, data: bytes, language: str = "en"):
    headers = {"X-CSRFToken": csrf} if csrf else {}
    return client.post(f"/api/v1/videos/{video_id}/audio-tracks", headers=headers,
                       data={"language": language, "file": (io.BytesIO(data), "en.m4a")},
                       content_type="multipart/form-data")


def test_the_studio_adds_lists_and_deletes_a_dub(app, client, tmp_path, studio_video):
    item_id, video_id = studio_video
    page = client.get(f"/studio/items/{item_id}").text
    csrf = re.search(r'data-csrf="([^"]+)"', page).group(1)
    form = re.search(r'<form class="dub-form.*?</form>', page, re.S).group(0)
    # Any configured language but the video's own.
    assert re.findall(r'<option value="(\w+)"', form) == ["en"]
    assert 'name="file" type="file"' in form and "No dubs yet." in page

    assert post_dub(client, None, video_id, tone(tmp_path / "en.m4a", SECONDS)).status_code in (
        400, 403)
    added = post_dub(client, csrf, video_id, tone(tmp_path / "en.m4a", SECONDS))
    assert added.status_code == 202, added.get_json()
    row = client.get(f"/studio/videos/{video_id}/row").text
    assert 'data-dubs="queued"' in row and "Queued" in row
    assert run_jobs(app) == ["ready"]
    row = client.get(f"/studio/videos/{video_id}/row").text
    assert 'data-dubs="ready"' in row
    assert re.search(r'<li class="dub" data-language="en" data-status="ready">'
                     r'<span lang="en">English</span> <span class="badge status ready">Ready',
                     row)
    assert 'data-action="delete-dub" data-language="en"' in row

    zh_row = client.get(f"/studio/videos/{video_id}/row",
                        headers={"Accept-Language": "zh-CN"}).text
    assert "<h3>配音</h3>" in zh_row and "删除这条配音？" in zh_row

    deleted = client.delete(f"/api/v1/videos/{video_id}/audio-tracks/en",
                            headers={"X-CSRFToken": csrf})
    assert deleted.status_code == 204
    assert "No dubs yet." in client.get(f"/studio/videos/{video_id}/row").text


def test_a_refused_dub_says_why_in_the_editors_languages(client, tmp_path, studio_video):
    item_id, video_id = studio_video
    csrf = re.search(r'data-csrf="([^"]+)"',
                     client.get(f"/studio/items/{item_id}").text).group(1)
    refused = post_dub(client, csrf, video_id, tone(tmp_path / "short.m4a", 1))
    assert refused.status_code == 422
    message = refused.get_json()["error"]["message"]
    assert "the dub lasts 0:01.0 but the video lasts 0:06.0" in message
    assert "配音时长 0:01.0，而视频时长 0:06.0" in message
