"""Dubs through the API: a video's sound in another language, checked on upload, encoded by a
worker alone, and offered by the video's master playlists; the video is not encoded again."""

from __future__ import annotations

import io
import json
import posixpath
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from motpub.media.models.transcode_job import TranscodeJob
from motpub.media.models.video import AudioTrack
from tests.factories import complete, make_clip, run_jobs, upload

SECONDS = 6


def make_tone(path: Path, *, seconds: float, frequency: int = 660) -> Path:
    """A real AAC file of a sine tone, as an editor's exported dub would be."""
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency={frequency}:duration={seconds}", "-c:a", "aac",
                    "-b:a", "64k", str(path)], check=True, timeout=60)
    return path


@pytest.fixture
def ready_video(app, api, client, tmp_path):
    """A published item with a ready 6 s zh video with a 440 Hz tone: (item, code, video)."""
    item, code = api.published_item_with_code()
    clip = make_clip(tmp_path / "ding.mp4", seconds=SECONDS, size="160x90")
    plan = upload(api, client, item["id"], clip.read_bytes(), language="zh")
    complete(api, plan)
    assert run_jobs(app) == ["ready"]
    return item, code, api.get(f"/videos/{plan['video_id']}").get_json()


def post_dub(api, video_id: int, path: Path, language: str = "en"):
    return api.post(f"/videos/{video_id}/audio-tracks",
                    data={"language": language, "file": (io.BytesIO(path.read_bytes()),
                                                         path.name)},
                    content_type="multipart/form-data")


def text_of(client, url: str) -> str:
    response = client.get(urlsplit(url).path, buffered=True)
    assert response.status_code == 200, url
    return response.text


def audio_lines(master: str) -> list[str]:
    return [line for line in master.splitlines() if line.startswith("#EXT-X-MEDIA:TYPE=AUDIO")]


def test_a_dub_is_encoded_alone_and_joins_the_master_playlists(app, api, client, tmp_path,
                                                               ready_video):
    _item, code, video = ready_video
    storage = app.extensions["motpub"].storage
    version = "/".join(urlsplit(video["hls_url"]).path.split("/")[2:5]) + "/"
    segments_before = sorted(key for key in storage.list_keys(version)
                             if not key.rsplit("/", 1)[1].startswith("master"))

    response = post_dub(api, video["id"], make_tone(tmp_path / "en.m4a", seconds=SECONDS))
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["status"] == "queued"
    assert run_jobs(app) == ["ready"]

    after = api.get(f"/videos/{video['id']}").get_json()
    [track] = after["audio_tracks"]
    assert track["language"] == "en" and track["name"] == "English"
    assert track["status"] == "ready" and track["error"] is None
    assert abs(track["duration_s"] - SECONDS) < 0.2
    assert after["renditions"] == video["renditions"]
    assert api.get(f"/videos/{video['id']}/audio-tracks").get_json() == {
        "audio_tracks": [track]}
    # The video was transcoded once; its segments are those it had.
    with app.extensions["motpub"].session_factory() as session:
        jobs = session.query(TranscodeJob).filter_by(video_id=video["id"]).all()
        dub = session.query(AudioTrack).one()
        dub_playlist = dub.playlist_key
    assert sorted(job.audio_track_id is None for job in jobs) == [False, True]
    assert sorted(key for key in storage.list_keys(version)
                  if not key.rsplit("/", 1)[1].startswith("master")) == segments_before
    assert dub_playlist.startswith(f"videos/{video['id']}/audio/en-")

    # The master of the video's own sound: zh plays first, the dub is offered.
    master = text_of(client, after["hls_url"])
    own, english = audio_lines(master)
    assert own == ('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="中文",LANGUAGE="zh",'
                   'DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2"')
    assert english.startswith('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",'
                              'LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="../audio/en-')
    assert all('AUDIO="audio"' in line for line in master.splitlines()
               if line.startswith("#EXT-X-STREAM-INF"))

    # The English page hands the player the master in which the dub plays first.
    page = client.get(f"/s/{code}?lang=en").text
    hls_url = re.search(r'<video id="player"[^>]* data-hls="([^"]+)"', page).group(1)
    assert hls_url != after["hls_url"]
    english_master = text_of(client, hls_url)
    assert [line.split("DEFAULT=")[1][:3] for line in audio_lines(english_master)] == [
        "NO,", "YES"]
    assert 'data-audio-language="en"' in page
    # Spoken in English now: no captions are switched on for an English reader.
    assert " default>" not in page
    zh_page = client.get(f"/s/{code}?lang=zh").text
    assert f'data-hls="{urlsplit(after["hls_url"]).path}' in zh_page or \
        after["hls_url"] in zh_page

    # What the dub's playlist leads to is AAC, as the master says.
    with storage.local_path(dub_playlist) as path:
        probe = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json",
                                str(path)], capture_output=True, check=True, timeout=60)
    [stream] = json.loads(probe.stdout)["streams"]
    assert stream["codec_name"] == "aac" and stream["codec_type"] == "audio"


def test_a_dub_that_cannot_be_one_is_refused_and_nothing_is_stored(app, api, tmp_path,
                                                                   ready_video):
    _item, _code, video = ready_video
    storage = app.extensions["motpub"].storage
    keys_before = storage.list_keys("")

    short = post_dub(api, video["id"], make_tone(tmp_path / "short.m4a", seconds=1))
    assert short.status_code == 422
    error = short.get_json()["error"]
    assert error["field"] == "file"
    assert "0:01.0" in error["message"] and "0:06.0" in error["message"]

    as_video = post_dub(api, video["id"], make_clip(tmp_path / "other.mp4", seconds=SECONDS,
                                                     size="160x90"))
    assert as_video.status_code == 422
    assert "picture" in as_video.get_json()["error"]["message"]

    tone = make_tone(tmp_path / "fr.m4a", seconds=SECONDS)
    unknown = post_dub(api, video["id"], tone, language="fr")
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["field"] == "language"
    assert "zh, en" in unknown.get_json()["error"]["message"]

    own = post_dub(api, video["id"], tone, language="zh")
    assert own.status_code == 422 and own.get_json()["error"]["field"] == "language"

    assert api.get(f"/videos/{video['id']}").get_json()["audio_tracks"] == []
    assert storage.list_keys("") == keys_before
    assert run_jobs(app) == []


def test_deleting_a_dub_takes_it_out_of_the_masters_and_storage(app, api, client, tmp_path,
                                                                ready_video):
    _item, _code, video = ready_video
    storage = app.extensions["motpub"].storage
    assert post_dub(api, video["id"], make_tone(tmp_path / "en.m4a",
                                                seconds=SECONDS)).status_code == 202
    assert run_jobs(app) == ["ready"]
    assert api.delete(f"/videos/{video['id']}/audio-tracks/en").status_code == 204
    after = api.get(f"/videos/{video['id']}").get_json()
    assert after["audio_tracks"] == []
    assert audio_lines(text_of(client, after["hls_url"])) == []
    assert storage.list_keys(f"videos/{video['id']}/audio/") == []
    assert storage.list_keys(f"sources/{video['id']}/audio/") == []
    assert api.delete(f"/videos/{video['id']}/audio-tracks/en").status_code == 404


def test_captions_take_any_configured_language_and_refuse_others(api, ready_video):
    _item, _code, video = ready_video
    srt = b"1\r\n00:00:00,500 --> 00:00:02,000\r\nA bronze vessel\r\n"

    def post(language: str):
        return api.post(f"/videos/{video['id']}/captions",
                        data={"language": language, "file": (io.BytesIO(srt), "a.srt")},
                        content_type="multipart/form-data")

    refused = post("fr")
    assert refused.status_code == 422
    assert refused.get_json()["error"]["field"] == "language"
    assert "zh, en" in refused.get_json()["error"]["message"]
    assert post("en").status_code == 201


def test_a_new_transcode_of_the_video_keeps_its_dubs(app, api, client, tmp_path, ready_video):
    _item, code, video = ready_video
    assert post_dub(api, video["id"], make_tone(tmp_path / "en.m4a",
                                                seconds=SECONDS)).status_code == 202
    assert run_jobs(app) == ["ready"]
    assert api.post(f"/videos/{video['id']}/retry").status_code == 202
    assert run_jobs(app) == ["ready"]
    after = api.get(f"/videos/{video['id']}").get_json()
    assert after["hls_url"].endswith("/master.m3u8") and after["hls_url"] != video["hls_url"]
    [_own, english] = audio_lines(text_of(client, after["hls_url"]))
    dub_playlist = english.split('URI="')[1].rstrip('"')
    master_path = urlsplit(after["hls_url"]).path.rsplit("/", 1)[0]
    # As a player resolves it: relative to the master.
    assert "#EXT-X-MAP" in text_of(client, posixpath.normpath(f"{master_path}/{dub_playlist}"))
    page = client.get(f"/s/{code}?lang=en").text
    hls_url = re.search(r'<video id="player"[^>]* data-hls="([^"]+)"', page).group(1)
    assert urlsplit(hls_url).path.startswith(master_path + "/master-en-")
    assert audio_lines(text_of(client, hls_url))[1].split(",")[4] == "DEFAULT=YES"
