"""How uploads that cannot become a playable video fail: once, for good, with a reason an
editor can act on, in both languages. Real ffmpeg on media made by each test."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from motpub.media.models.transcode_job import JobStatus, TranscodeJob
from motpub.media.models.video import Video
from motpub.media.services.transcoding import transcode_video, Worker
from tests.factories import complete, make_clip, run_jobs, upload
from tests.support import login


def jobs_of(app, video_id: int) -> list[TranscodeJob]:
    with app.extensions["motpub"].session_factory() as session:
        return session.query(TranscodeJob).filter_by(video_id=video_id).all()


def test_a_one_pixel_video_is_refused_at_probe_time_without_a_retry(app, api, client, tmp_path):
    tiny = make_clip(tmp_path / "tiny.mp4", size="32x32", extra=("-vf", "scale=1:1",
                                                                 "-pix_fmt", "yuv444p"))
    item = api.create_item()
    plan = upload(api, client, item["id"], tiny.read_bytes())
    complete(api, plan)
    assert run_jobs(app) == ["failed"]
    [job] = jobs_of(app, plan["video_id"])
    assert job.status is JobStatus.FAILED and job.attempts == 1
    video = api.get(f"/videos/{plan['video_id']}").get_json()
    assert video["status"] == "failed"
    assert "1×1" in video["error"]["en"] and "16×16" in video["error"]["en"]
    assert "1×1" in video["error"]["zh"] and "retried" not in video["error"]["en"]


def test_a_video_that_failed_on_every_attempt_says_what_to_do_not_that_it_will_be_retried(
        app, api, client, clip):
    item = api.create_item()
    plan = upload(api, client, item["id"], clip.read_bytes())
    complete(api, plan)
    runtime = app.extensions["motpub"]
    # A real failure of the server, not of the file: a plain file where the renditions'
    # directory must go, so every attempt fails to store its output.
    media_root = Path(runtime.storage.root)
    (media_root / "videos").write_bytes(b"in the way")
    worker = Worker(session_factory=runtime.session_factory, storage=runtime.storage,
                    worker_id="test-worker")
    [job] = jobs_of(app, plan["video_id"])
    outcomes = [transcode_video(worker, job.id) for _ in range(job.max_attempts)]
    assert outcomes == ["retry"] * (job.max_attempts - 1) + ["failed"]
    video = api.get(f"/videos/{plan['video_id']}").get_json()
    assert video["status"] == "failed"
    assert "retried" not in video["error"]["en"] and "将重试" not in video["error"]["zh"]
    assert "storage" in video["error"]["en"] and "operator" in video["error"]["en"]
    assert "管理员" in video["error"]["zh"]
    with runtime.session_factory() as session:
        assert session.get(Video, plan["video_id"]).status.value == "failed"


def test_a_file_with_no_audio_or_video_stream_is_refused_once(app, api, client, tmp_path):
    subtitles_only = tmp_path / "subs.mkv"
    srt = tmp_path / "subs.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:02,000\nhello\n")
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(srt),
                    "-c:s", "srt", str(subtitles_only)], check=True)
    item = api.create_item()
    plan = upload(api, client, item["id"], subtitles_only.read_bytes(),
                  content_type="video/x-matroska", filename="subs.mkv")
    complete(api, plan)
    assert run_jobs(app) == ["failed"]
    assert [job.attempts for job in jobs_of(app, plan["video_id"])] == [1]
    video = api.get(f"/videos/{plan['video_id']}").get_json()
    assert "no decodable video or audio" in video["error"]["en"] and video["error"]["zh"]


def test_a_truncated_mp4_fails_for_good_as_incomplete_instead_of_becoming_a_shorter_video(
        app, api, client, tmp_path):
    whole = make_clip(tmp_path / "whole.mp4", seconds=4, extra=("-movflags", "+faststart"))
    data = whole.read_bytes()
    item = api.create_item()
    plan = upload(api, client, item["id"], data[:len(data) * 45 // 100])
    complete(api, plan)
    assert run_jobs(app) == ["failed"]
    assert [job.attempts for job in jobs_of(app, plan["video_id"])] == [1]
    video = api.get(f"/videos/{plan['video_id']}").get_json()
    assert video["status"] == "failed" and video["hls_url"] is None
    assert "incomplete" in video["error"]["en"] and "upload it again" in video["error"]["en"]
    assert "不完整" in video["error"]["zh"]


def test_an_mp4_declared_as_audio_is_published_as_a_video_and_the_editor_is_told(
        app, api, client, clip):
    item, code = api.published_item_with_code()
    plan = upload(api, client, item["id"], clip.read_bytes(), content_type="audio/mpeg",
                  filename="guide.mp3")
    complete(api, plan)
    assert run_jobs(app) == ["ready"]
    video = api.get(f"/videos/{plan['video_id']}").get_json()
    assert video["kind"] == "video" and video["width"] == 320
    assert [r["height"] for r in video["renditions"]] == [180] and video["poster_url"]
    assert "holds a video" in video["notice"]["en"] and "视频" in video["notice"]["zh"]
    page = client.get(f"/s/{code}").text
    assert "<video" in page and '<audio id="audio-guide"' not in page
    assert api.get(f"/items/{item['id']}/videos").get_json()["videos"][0]["notice"]


def test_a_sound_only_file_declared_as_video_becomes_an_audio_guide_with_a_notice(
        app, api, client, tmp_path):
    sound = make_clip(tmp_path / "sound.m4a", extra=("-vn",))
    item, code = api.published_item_with_code()
    plan = upload(api, client, item["id"], sound.read_bytes(), content_type="video/mp4",
                  filename="talk.mp4")
    complete(api, plan)
    assert run_jobs(app) == ["ready"]
    video = api.get(f"/videos/{plan['video_id']}").get_json()
    assert video["kind"] == "audio" and video["renditions"][0]["codecs"] == "mp4a.40.2"
    assert "sound only" in video["notice"]["en"] and video["notice"]["zh"]
    assert '<audio id="audio-guide"' in client.get(f"/s/{code}").text


def test_a_file_declared_as_what_it_is_has_no_notice(app, api, client, clip):
    item = api.create_item()
    plan = upload(api, client, item["id"], clip.read_bytes())
    complete(api, plan)
    assert run_jobs(app) == ["ready"]
    assert api.get(f"/videos/{plan['video_id']}").get_json()["notice"] is None


@pytest.mark.parametrize("left, missing", [((), "ffprobe"), (("ffprobe",), "ffmpeg")])
def test_a_job_that_finds_no_ffmpeg_is_postponed_without_using_an_attempt_and_blames_the_server(
        app, api, client, clip, tmp_path, monkeypatch, left, missing):
    item = api.create_item()
    plan = upload(api, client, item["id"], clip.read_bytes())
    complete(api, plan)
    runtime = app.extensions["motpub"]
    worker = Worker(session_factory=runtime.session_factory, storage=runtime.storage,
                    worker_id="test-worker")
    [job] = jobs_of(app, plan["video_id"])
    # ffmpeg and ffprobe removed from the machine while the worker runs: a PATH without them.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in left:
        (bin_dir / program).symlink_to(shutil.which(program))
    monkeypatch.setenv("PATH", str(bin_dir))
    # Through the queue: tried again in 5 minutes, long enough to install ffmpeg.
    # (None: huey takes the retry from the queue and, not due yet, puts it on its schedule.)
    assert run_jobs(app) == ["postponed", None]
    [retry] = runtime.queue.scheduled()
    assert retry.args == (job.id,)
    assert retry.eta >= dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=290)
    outcomes = [transcode_video(worker, job.id) for _ in range(job.max_attempts)]
    assert outcomes == ["postponed"] * job.max_attempts
    [job] = jobs_of(app, plan["video_id"])
    assert job.status is JobStatus.QUEUED and job.attempts == 0
    assert f"cannot run {missing}" in job.error and "apt-get install ffmpeg" in job.error
    video = api.get(f"/videos/{plan['video_id']}").get_json()
    assert video["status"] == "queued"
    assert "server" in video["error"]["en"] and "ffmpeg" in video["error"]["en"]
    assert "replace" not in video["error"]["en"] and "服务器" in video["error"]["zh"]
    # The studio's media list says it too, beside the queued badge.
    login(client, "editor@example.org")
    page = client.get(f"/studio/items/{item['id']}").get_data(as_text=True)
    assert "missing a program" in page and "缺少处理媒体所需的程序" in page
    # Once ffmpeg is back, the next attempt makes the video, and the notice goes.
    monkeypatch.undo()
    assert transcode_video(worker, job.id) == "ready"
    video = api.get(f"/videos/{plan['video_id']}").get_json()
    assert video["status"] == "ready" and video["error"] is None
