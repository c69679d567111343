"""The upload protocol and the media pipeline through the API, on the file backend."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from motpub.media.models.transcode_job import JobStatus, TranscodeJob
from motpub.media.models.video import Video
from tests.factories import complete, run_jobs, upload


def test_upload_complete_and_transcode_make_a_ready_video_on_the_page(app, api, client, clip):
    item, code = api.published_item_with_code()
    plan = upload(api, client, item["id"], clip.read_bytes())
    assert plan["upload"]["parts"][0]["url"].startswith("http://motpub.test/api/v1/videos/")
    queued = complete(api, plan)
    assert queued["status"] == "queued"
    assert run_jobs(app) == ["ready"]

    video = api.get(f"/videos/{plan['video_id']}").get_json()
    assert video["status"] == "ready" and video["progress"] == 1
    assert video["width"] == 320 and video["height"] == 180
    assert 2.5 < video["duration_s"] < 3.5
    assert [r["height"] for r in video["renditions"]] == [180]
    assert video["hls_url"].endswith("master.m3u8") and video["poster_url"]

    master = client.get(urlsplit(video["hls_url"]).path, buffered=True)
    assert master.status_code == 200
    assert master.mimetype == "application/vnd.apple.mpegurl"
    assert "#EXT-X-STREAM-INF" in master.text and "AVERAGE-BANDWIDTH" in master.text

    page = client.get(f"/s/{code}").text
    assert 'preload="none"' in page and urlsplit(video["hls_url"]).path in page
    assert 'width="320" height="180"' in page and "poster=" in page


def test_media_objects_are_served_with_range_support(app, api, client, clip):
    item = api.create_item()
    plan = upload(api, client, item["id"], clip.read_bytes())
    complete(api, plan)
    run_jobs(app)
    video = api.get(f"/videos/{plan['video_id']}").get_json()
    playlist_path = urlsplit(video["hls_url"]).path.rsplit("/", 1)[0] + "/"
    variant = client.get(urlsplit(video["hls_url"]).path, buffered=True).text
    variant_uri = [line for line in variant.splitlines() if line and not line.startswith("#")][0]
    media = client.get(playlist_path + variant_uri, buffered=True).text
    segment = [line for line in media.splitlines() if line.endswith(".m4s")][0]
    segment_path = playlist_path + variant_uri.rsplit("/", 1)[0] + "/" + segment
    response = client.get(segment_path, headers={"Range": "bytes=0-99"}, buffered=True)
    assert response.status_code == 206 and len(response.data) == 100
    assert "immutable" in response.headers["Cache-Control"]
    assert client.get(f"/media/sources/{plan['video_id']}/x", buffered=True).status_code == 404


def test_junk_upload_fails_with_reasons_in_both_languages_and_keeps_the_source(app, api,
                                                                               client):
    item = api.create_item()
    plan = upload(api, client, item["id"], b"this is not a video" * 1000)
    complete(api, plan)
    assert run_jobs(app) == ["failed"]
    video = api.get(f"/videos/{plan['video_id']}").get_json()
    assert video["status"] == "failed"
    assert video["error"]["en"] and video["error"]["zh"]
    assert "Traceback" not in video["error"]["en"]
    with app.extensions["motpub"].session_factory() as session:
        source_key = session.get(Video, plan["video_id"]).source_key
    assert app.extensions["motpub"].storage.exists(source_key)


def test_retry_runs_the_job_again(app, api, client, clip):
    item = api.create_item()
    plan = upload(api, client, item["id"], clip.read_bytes())
    complete(api, plan)
    run_jobs(app)
    assert api.post(f"/videos/{plan['video_id']}/retry").status_code == 202
    assert run_jobs(app) == ["ready"]
    with app.extensions["motpub"].session_factory() as session:
        jobs = session.query(TranscodeJob).filter_by(video_id=plan["video_id"]).all()
    assert [job.status for job in jobs] == [JobStatus.SUCCEEDED, JobStatus.SUCCEEDED]
    storage = app.extensions["motpub"].storage
    versions = {key.split("/")[2] for key in storage.list_keys(f"videos/{plan['video_id']}/")}
    assert len(versions) == 1  # the superseded version is gone


def test_captions_join_the_master_playlist_without_a_new_encode(app, api, client, clip):
    item, code = api.published_item_with_code()
    plan = upload(api, client, item["id"], clip.read_bytes(), language="zh")
    complete(api, plan)
    run_jobs(app)
    before = api.get(f"/videos/{plan['video_id']}").get_json()
    srt = b"1\r\n00:00:00,500 --> 00:00:02,000\r\nA bronze vessel\r\n"
    response = api.post(f"/videos/{plan['video_id']}/captions",
                        data={"language": "en", "file": (__import__("io").BytesIO(srt),
                                                         "en.srt")},
                        content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    after = api.get(f"/videos/{plan['video_id']}").get_json()
    assert after["renditions"] == before["renditions"]
    assert after["captions"][0]["language"] == "en"
    master = client.get(urlsplit(after["hls_url"]).path, buffered=True).text
    assert 'TYPE=SUBTITLES' in master and 'LANGUAGE="en"' in master
    vtt = client.get(urlsplit(after["captions"][0]["url"]).path, buffered=True).text
    assert vtt.startswith("WEBVTT") and "00:00:00.500 --> 00:00:02.000" in vtt
    # A zh video seen in English switches the English captions on.
    page = client.get(f"/s/{code}?lang=en").text
    assert re.search(r'<track kind="subtitles" srclang="en"[^>]* default>', page)
    assert run_jobs(app) == []


@pytest.mark.parametrize(("payload", "field"), [
    ({"language": "fr", "filename": "a.mp4", "size_bytes": 10, "content_type": "video/mp4"},
     "language"),
    ({"language": "zh", "filename": "", "size_bytes": 10, "content_type": "video/mp4"},
     "filename"),
    ({"language": "zh", "filename": "a.mp4", "size_bytes": 0, "content_type": "video/mp4"},
     "size_bytes"),
    ({"language": "zh", "filename": "a.mp4", "size_bytes": "10", "content_type": "video/mp4"},
     "size_bytes"),
    ({"language": "zh", "filename": "a.mp4", "size_bytes": 10**13,
      "content_type": "video/mp4"}, "size_bytes"),
    ({"language": "zh", "filename": "a.exe", "size_bytes": 10,
      "content_type": "application/x-msdownload"}, "content_type"),
])
def test_bad_upload_requests_are_422_and_create_nothing(app, api, payload, field):
    item = api.create_item()
    response = api.post(f"/items/{item['id']}/videos", json=payload)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field
    with app.extensions["motpub"].session_factory() as session:
        assert session.query(Video).count() == 0


def test_part_urls_are_signed_and_complete_checks_etags(app, api, client, clip):
    item = api.create_item()
    data = clip.read_bytes()
    created = api.post(f"/items/{item['id']}/videos", json={
        "language": None, "filename": "clip.mp4", "size_bytes": len(data),
        "content_type": "video/mp4"}).get_json()
    url = urlsplit(created["upload"]["parts"][0]["url"])
    forged = re.sub(r"signature=[0-9a-f]+", "signature=" + "0" * 64, url.query)
    assert client.put(f"{url.path}?{forged}", data=data).status_code == 401
    assert client.put(f"{url.path}?{url.query}", data=data).status_code == 200
    listed = api.get(f"/videos/{created['video_id']}/parts").get_json()["parts"]
    assert [part["number"] for part in listed] == [1]
    path = urlsplit(created["upload"]["complete_url"]).path.removeprefix("/api/v1")
    wrong = api.post(path, json={"parts": [{"number": 1, "etag": '"nope"'}]})
    assert wrong.status_code == 422
    assert api.get(f"/videos/{created['video_id']}").get_json()["status"] == "uploading"
    missing = api.post(path, json={"parts": []})
    assert missing.status_code == 422


def test_delete_removes_the_video_and_its_objects(app, api, client, clip):
    item = api.create_item()
    plan = upload(api, client, item["id"], clip.read_bytes())
    complete(api, plan)
    run_jobs(app)
    assert api.delete(f"/videos/{plan['video_id']}").status_code == 204
    assert api.get(f"/videos/{plan['video_id']}").status_code == 404
    storage = app.extensions["motpub"].storage
    assert storage.list_keys(f"videos/{plan['video_id']}/") == []
    assert storage.list_keys(f"sources/{plan['video_id']}/") == []


def test_audio_guide_plays_with_an_audio_player(app, api, client, tmp_path):
    import subprocess

    mp3 = tmp_path / "guide.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=frequency=330:duration=3", "-c:a", "libmp3lame", str(mp3)],
                   check=True)
    item, code = api.published_item_with_code()
    plan = upload(api, client, item["id"], mp3.read_bytes(), content_type="audio/mpeg",
                  filename="guide.mp3")
    complete(api, plan)
    assert run_jobs(app) == ["ready"]
    video = api.get(f"/videos/{plan['video_id']}").get_json()
    assert video["kind"] == "audio" and video["renditions"][0]["codecs"] == "mp4a.40.2"
    page = client.get(f"/s/{code}").text
    assert '<audio id="audio-guide"' in page and "<video" not in page


def test_a_part_of_exactly_the_part_size_is_accepted_behind_a_terminating_server(api, client):
    """gunicorn sets wsgi.input_terminated, so the request stream enforces the body limit."""
    item = api.create_item()
    plan = api.post(f"/items/{item['id']}/videos", json={
        "language": None, "filename": "long.mp4", "size_bytes": 17 * 2**20,
        "content_type": "video/mp4"}).get_json()
    size = plan["upload"]["part_size_bytes"]
    url = urlsplit(plan["upload"]["parts"][0]["url"])
    terminated = {"wsgi.input_terminated": True}
    response = client.put(f"{url.path}?{url.query}", data=b"\0" * size,
                          environ_overrides=terminated)
    assert response.status_code == 200 and response.headers["ETag"]
    response = client.put(f"{url.path}?{url.query}", data=b"\0" * (size + 1),
                          environ_overrides=terminated)
    assert response.status_code in (413, 422)


def test_abandoned_uploads_are_aborted_and_marked_failed(app, api, client, clip):
    item = api.create_item()
    data = clip.read_bytes()
    created = api.post(f"/items/{item['id']}/videos", json={
        "language": "en", "filename": "clip.mp4", "size_bytes": len(data),
        "content_type": "video/mp4"}).get_json()
    url = urlsplit(created["upload"]["parts"][0]["url"])
    client.put(f"{url.path}?{url.query}", data=data)
    runtime = app.extensions["motpub"]
    from motpub.media.services.videos import abandon_uploads

    with runtime.session_factory() as session, session.begin():
        assert abandon_uploads(session, runtime.storage, older_than_s=0) == 1
    video = api.get(f"/videos/{created['video_id']}").get_json()
    assert video["status"] == "failed" and video["error"]["zh"]
    assert runtime.storage.abandoned_uploads(0) == []
    assert api.get(f"/videos/{created['video_id']}/parts").get_json()["parts"] == []


def test_cancelling_a_replacement_goes_back_to_the_file_in_use(app, api, client, clip):
    item = api.create_item()
    data = clip.read_bytes()
    plan = upload(api, client, item["id"], data)
    complete(api, plan)
    assert run_jobs(app) == ["ready"]
    video_id = plan["video_id"]
    runtime = app.extensions["motpub"]
    with runtime.session_factory() as session:
        source_key = session.get(Video, video_id).source_key
    before = api.get(f"/videos/{video_id}").get_json()

    for give_up in ("cancel", "abandon"):
        replacing = api.post(f"/videos/{video_id}/replace", json={
            "filename": "new cut.mp4", "size_bytes": len(data), "content_type": "video/mp4"})
        assert replacing.status_code == 201
        assert api.get(f"/videos/{video_id}").get_json()["status"] == "uploading"
        if give_up == "cancel":
            cancelled = api.delete(f"/videos/{video_id}/upload")
            assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "ready"
        else:
            from motpub.media.services.videos import abandon_uploads

            with runtime.session_factory() as session, session.begin():
                assert abandon_uploads(session, runtime.storage, older_than_s=0) == 1
        after = api.get(f"/videos/{video_id}").get_json()
        assert after == before  # status, renditions, URLs: all as they were
        with runtime.session_factory() as session:
            video = session.get(Video, video_id)
            assert (video.source_key, video.filename, video.replacing, video.upload_id) == (
                source_key, "clip.mp4", None, None)
        assert runtime.storage.size_bytes(source_key) == len(data)
        assert runtime.storage.abandoned_uploads(0) == []

    # The kept source still transcodes, and there is no upload left to cancel.
    assert api.post(f"/videos/{video_id}/retry").status_code == 202
    assert run_jobs(app) == ["ready"]
    refused = api.delete(f"/videos/{video_id}/upload")
    assert refused.status_code == 409 and refused.get_json()["error"]["message"]


def test_cancelling_a_first_upload_leaves_a_failed_video_with_the_reason(app, api):
    item = api.create_item()
    created = api.post(f"/items/{item['id']}/videos", json={
        "language": None, "filename": "clip.mp4", "size_bytes": 10_000_000,
        "content_type": "video/mp4"}).get_json()
    cancelled = api.delete(f"/videos/{created['video_id']}/upload").get_json()
    assert cancelled["status"] == "failed"
    assert cancelled["error"]["en"] and cancelled["error"]["zh"]
    assert app.extensions["motpub"].storage.abandoned_uploads(0) == []


def test_replacing_a_cancelled_first_upload_keeps_no_file_to_go_back_to(app, api):
    item = api.create_item()
    created = api.post(f"/items/{item['id']}/videos", json={
        "language": None, "filename": "clip.mp4", "size_bytes": 10_000_000,
        "content_type": "video/mp4"}).get_json()
    video_id = created["video_id"]
    assert api.delete(f"/videos/{video_id}/upload").status_code == 200
    assert api.post(f"/videos/{video_id}/replace", json={
        "filename": "second.mp4", "size_bytes": 10_000_000,
        "content_type": "video/mp4"}).status_code == 201
    with app.extensions["motpub"].session_factory() as session:
        assert session.get(Video, video_id).replacing is None  # its first file never arrived
    again = api.delete(f"/videos/{video_id}/upload").get_json()
    assert again["status"] == "failed" and again["error"]["en"]
