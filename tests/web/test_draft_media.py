"""Media of items that are not published: only through short-lived signed URLs, on the file
backend (the app's /media route) and on S3 behind a public address (moto over HTTP)."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

import pytest

from motpub.app import create_app
from tests.factories import Api, add_user, complete, run_jobs, upload
from tests.support import ensure_bucket, make_settings, use_moto_credentials


def playlist_uris(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def unsigned(path: str) -> str:
    return re.sub(r"^/media/~[^/]+/", "/media/", path)


def test_draft_media_is_served_only_through_a_signed_url_covering_the_video(app, api, client,
                                                                            clip):
    item = api.create_item()
    plan = upload(api, client, item["id"], clip.read_bytes())
    complete(api, plan)
    assert run_jobs(app) == ["ready"]
    video = api.get(f"/videos/{plan['video_id']}").get_json()
    master = urlsplit(video["hls_url"]).path
    poster = urlsplit(video["poster_url"]).path
    assert master.startswith("/media/~") and poster.startswith("/media/~")
    # The same URL for a few minutes, so a page and the API agree and the browser caches it.
    assert api.get(f"/videos/{plan['video_id']}").get_json()["hls_url"] == video["hls_url"]
    expires = int(master.split("/")[2].removeprefix("~").partition("-")[0])
    assert 3300 <= expires - time.time() <= 3600

    # The signed master, and through its relative URLs a variant and a segment.
    response = client.get(master, buffered=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("private")
    variant_path = master.rsplit("/", 1)[0] + "/" + playlist_uris(response.text)[0]
    variant = client.get(variant_path, buffered=True)
    assert variant.status_code == 200
    segment_path = variant_path.rsplit("/", 1)[0] + "/" + [
        uri for uri in playlist_uris(variant.text) if uri.endswith(".m4s")][0]
    assert client.get(segment_path, buffered=True).status_code == 200
    assert client.get(poster, buffered=True).status_code == 200

    # Without the token, with a forged or expired one, or for another video: nothing.
    for path in (master, variant_path, segment_path, poster):
        assert client.get(unsigned(path), buffered=True).status_code == 404
    forged = re.sub(r"~(\d+)-[0-9a-f]+/", lambda m: f"~{m[1]}-{'0' * 32}/", master)
    assert client.get(forged, buffered=True).status_code == 404
    from motpub.media.public import signed_media_url

    with app.test_request_context():
        expired = urlsplit(signed_media_url(unsigned(master).removeprefix("/media/"),
                                            expires_s=-600)).path
        other_video = urlsplit(signed_media_url("videos/999/v1/master.m3u8",
                                                expires_s=60)).path
    assert client.get(expired, buffered=True).status_code == 404
    token = master.split("/")[2]
    other = "/media/" + token + "/" + other_video.split("/", 3)[3]
    assert client.get(other, buffered=True).status_code == 404
    assert client.get(f"/media/{token}/sources/{plan['video_id']}/x",
                      buffered=True).status_code == 404

    # Published: the plain URLs serve, to anyone, cached for good; unpublished: gone again.
    assert api.post(f"/items/{item['id']}/publish").status_code == 200
    public = api.get(f"/videos/{plan['video_id']}").get_json()
    assert urlsplit(public["hls_url"]).path == unsigned(master)
    served = client.get(unsigned(segment_path), buffered=True)
    assert served.status_code == 200 and "public" in served.headers["Cache-Control"]
    assert api.post(f"/items/{item['id']}/unpublish").status_code == 200
    assert client.get(unsigned(segment_path), buffered=True).status_code == 404
    assert client.get(unsigned(master), buffered=True).status_code == 404


def test_the_studio_preview_of_a_draft_plays_from_signed_urls(app, api, client, clip):
    from tests.support import login

    item = api.create_item()
    plan = upload(api, client, item["id"], clip.read_bytes())
    complete(api, plan)
    run_jobs(app)
    login(client, "editor@example.org")
    page = client.get(f"/studio/items/{item['id']}/preview").text
    sources = re.findall(r'src="([^"]*master[^"]*\.m3u8)"', page)
    assert sources and all("/media/~" in src for src in sources)
    assert client.get(urlsplit(sources[0]).path, buffered=True).status_code == 200


def http_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url), timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


@pytest.fixture
def s3_app(tmp_path, monkeypatch, request):
    endpoint = request.getfixturevalue("s3_endpoint_url")
    use_moto_credentials(monkeypatch, tmp_path)
    bucket = "motpub-test"
    ensure_bucket(endpoint, bucket)
    prefix = f"drafts/{uuid.uuid4().hex}"
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'motpub.db'}",
                             storage_url=f"s3://{bucket}/{prefix}", s3_endpoint_url=endpoint,
                             media_public_url=f"{endpoint}/{bucket}/{prefix}")
    from motpub.database import make_engine
    from motpub.orm import Base

    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app(settings)
    yield app
    storage = app.extensions["motpub"].storage
    storage.delete_prefix("")
    runtime = app.extensions["motpub"]
    runtime.scan_recorder.flush()
    runtime.target_cache.close()
    runtime.engine.dispose()


def s3_upload(api, data: bytes, item_id: int) -> int:
    created = api.post(f"/items/{item_id}/videos", json={
        "language": None, "filename": "clip.mp4", "size_bytes": len(data),
        "content_type": "video/mp4"}).get_json()
    [part] = created["upload"]["parts"]
    put = urllib.request.Request(part["url"], data=data, method="PUT",
                                 headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(put, timeout=60) as response:
        etag = response.headers["ETag"]
    path = urlsplit(created["upload"]["complete_url"]).path.removeprefix("/api/v1")
    done = api.post(path, json={"parts": [{"number": 1, "etag": etag}]})
    assert done.status_code == 202, done.get_json()
    return created["video_id"]


def test_on_s3_a_drafts_objects_are_private_and_publishing_makes_them_public(s3_app, clip):
    app = s3_app
    client = app.test_client()
    api = Api(client, add_user(app, "editor@example.org", "editor"))
    item = api.create_item()
    video_id = s3_upload(api, clip.read_bytes(), item["id"])
    assert run_jobs(app) == ["ready"]
    storage = app.extensions["motpub"].storage
    keys = storage.list_keys(f"videos/{video_id}/")
    master_key = next(key for key in keys if key.endswith("master.m3u8"))
    segment_key = next(key for key in keys if key.endswith(".m4s"))
    public_base = app.extensions["motpub"].settings.media_public_url

    # A draft: the bucket's public address refuses anyone, the API's URL is the app's signed one.
    for key in (master_key, segment_key):
        assert http_get(f"{public_base}/{key}")[0] == 403
    video = api.get(f"/videos/{video_id}").get_json()
    assert urlsplit(video["hls_url"]).path.startswith("/media/~")
    master = client.get(urlsplit(video["hls_url"]).path, buffered=True)
    assert master.status_code == 200 and "#EXT-X-STREAM-INF" in master.text
    variant_path = urlsplit(video["hls_url"]).path.rsplit("/", 1)[0] + "/" + \
        playlist_uris(master.text)[0]
    variant = client.get(variant_path, buffered=True)
    segment = [uri for uri in playlist_uris(variant.text) if uri.endswith(".m4s")][0]
    redirect = client.get(variant_path.rsplit("/", 1)[0] + "/" + segment)
    assert redirect.status_code == 302
    status, body = http_get(redirect.headers["Location"])  # a presigned GET on the bucket
    assert status == 200 and body

    # Published: readable at the public address, without re-encoding.
    assert api.post(f"/items/{item['id']}/publish").status_code == 200
    assert storage.list_keys(f"videos/{video_id}/") == keys
    assert api.get(f"/videos/{video_id}").get_json()["hls_url"] == f"{public_base}/{master_key}"
    for key in keys:
        assert http_get(f"{public_base}/{key}")[0] == 200, key

    # Unpublished: private again.
    assert api.post(f"/items/{item['id']}/unpublish").status_code == 200
    for key in (master_key, segment_key):
        assert http_get(f"{public_base}/{key}")[0] == 403
