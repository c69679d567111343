"""Images through the API: the part protocol, the worker's job, what is served, the
editor's changes, and the refusals; on SQLite and PostgreSQL, and on the S3 backend."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from PIL import Image

from motpub.app import create_app
from motpub.media.models.image import Image as ImageRow
from motpub.media.models.image_job import ImageJob
from motpub.media.models.transcode_job import JobStatus
from tests.factories import Api, add_user, run_jobs
from tests.support import ensure_bucket, make_settings, use_moto_credentials

GPS = {1: "N", 2: (39.0, 54.0, 24.0), 3: "E", 4: (116.0, 23.0, 30.0)}
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
       b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
       b'exif:GPSLatitude="39,54.4N"/></rdf:RDF></x:xmpmeta>')


def photo(width: int = 800, height: int = 600, *, fmt: str = "JPEG", gps: bool = True,
          orientation: int = 1) -> bytes:
    image = Image.new("RGB", (width, height), (180, 60, 40))
    image.paste((20, 90, 200), (0, 0, width // 2, height // 2))
    exif = Image.Exif()
    exif[0x0112] = orientation
    if gps:
        exif.get_ifd(0x8825).update(GPS)
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, format=fmt, exif=exif, xmp=XMP if gps else b"")
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def start(api, owner: str, data: bytes, *, content_type: str = "image/jpeg",
          filename: str = "photo.jpg", size_bytes: int | None = None):
    return api.post(f"/{owner}/images", json={
        "filename": filename, "size_bytes": len(data) if size_bytes is None else size_bytes,
        "content_type": content_type})


def upload_image(api, client, owner: str, data: bytes, **declared) -> dict:
    """Create an image of `owner` ("items/3"), send its parts, complete; the image."""
    created = start(api, owner, data, **declared)
    assert created.status_code == 201, created.get_json()
    plan = created.get_json()
    size = plan["upload"]["part_size_bytes"]
    etags = []
    for part in plan["upload"]["parts"]:
        url = urlsplit(part["url"])
        response = client.put(f"{url.path}?{url.query}",
                              data=data[(part["number"] - 1) * size: part["number"] * size])
        assert response.status_code == 200, response.get_json()
        etags.append({"number": part["number"], "etag": response.headers["ETag"]})
    path = urlsplit(plan["upload"]["complete_url"]).path.removeprefix("/api/v1")
    done = api.post(path, json={"parts": etags})
    assert done.status_code == 202, done.get_json()
    assert done.get_json()["status"] == "queued"
    return done.get_json()


def served(client, url: str):
    parts = urlsplit(url)
    return client.get(parts.path + (f"?{parts.query}" if parts.query else ""), buffered=True)


def test_a_gps_tagged_photo_becomes_derivatives_that_carry_none_of_its_metadata(app, api,
                                                                                client):
    item = api.create_item()
    data = photo(orientation=6)
    assert b"GPS" in data and Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    image = upload_image(api, client, f"items/{item['id']}", data)
    assert run_jobs(app) == ["ready"]
    got = api.get(f"/images/{image['image_id']}").get_json()
    assert got["status"] == "ready" and got["error"] is None
    assert (got["width"], got["height"]) == (600, 800)  # the orientation applied
    assert sorted(got["urls"]["jpeg"]) == ["320", "600"]
    assert got["urls"]["placeholder"].startswith("data:image/webp;base64,")
    assert got["urls"]["color"].startswith("#") and got["urls"]["tiles"] is None
    urls = [url for fmt in ("avif", "webp", "jpeg") for url in got["urls"][fmt].values()]
    assert len(urls) == 6 and all("/media/~" in url for url in urls)  # a draft: signed
    for url, fmt in zip(urls, ["avif"] * 2 + ["webp"] * 2 + ["jpeg"] * 2, strict=True):
        response = served(client, url)
        assert response.status_code == 200
        assert response.mimetype == {"avif": "image/avif", "webp": "image/webp",
                                     "jpeg": "image/jpeg"}[fmt]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert b"GPS" not in response.data and b"Exif" not in response.data
        assert not Image.open(io.BytesIO(response.data)).getexif()
    with app.extensions["motpub"].session_factory() as session:
        row = session.get(ImageRow, image["image_id"])
        source_key, version = row.source_key, row.version
        assert [d["format"] for d in row.derivatives] == ["avif"] * 2 + ["webp"] * 2 + \
            ["jpeg"] * 2 and all(d["bytes"] > 0 for d in row.derivatives)
    # The source is never served, signed or not, and the draft's objects need a signature.
    assert client.get(f"/media/{source_key}").status_code == 404
    assert client.get(f"/media/{version}600.jpg").status_code == 404
    token = urlsplit(urls[0]).path.split("/")[2]
    assert client.get(f"/media/{token}/{source_key}").status_code == 404


def test_publishing_the_item_serves_its_pictures_unsigned(app, api, client):
    item, _code = api.published_item_with_code()
    image = upload_image(api, client, f"items/{item['id']}", photo(gps=False))
    run_jobs(app)
    got = api.get(f"/images/{image['image_id']}").get_json()
    url = got["urls"]["webp"]["800"]
    assert "/media/~" not in url
    response = served(client, url)
    assert response.status_code == 200 and "immutable" in response.headers["Cache-Control"]


def test_a_large_picture_gets_tiles_served_beside_their_descriptor(app, api, client):
    exhibition = api.post("/exhibitions", json={"slug": "scrolls", "title": {
        "zh": "长卷", "en": "Scrolls"}}).get_json()
    image = upload_image(api, client, f"exhibitions/{exhibition['id']}",
                         photo(4200, 300, fmt="PNG"), content_type="image/png",
                         filename="scroll.png")
    assert run_jobs(app) == ["ready"]
    got = api.get(f"/images/{image['image_id']}").get_json()
    assert got["exhibition_id"] == exhibition["id"] and got["item_id"] is None
    dzi = served(client, got["urls"]["tiles"])
    assert dzi.status_code == 200 and dzi.mimetype == "application/xml"
    assert 'TileSize="254"' in dzi.text and 'Overlap="1"' in dzi.text
    tile_url = got["urls"]["tiles"].removesuffix(".dzi") + "_files/13/0_0.jpg"
    tile = served(client, tile_url)
    assert tile.status_code == 200 and tile.mimetype == "image/jpeg"
    assert sorted(map(int, got["urls"]["jpeg"])) == [320, 640, 960, 1280, 1920, 2560]


@pytest.mark.parametrize(("data", "content_type", "code"), [
    (b"plain text, not a picture at all\n" * 40, "image/jpeg", "image_unknown_format"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/png",
     "image_is_svg"),
])
def test_a_file_that_is_not_a_picture_fails_with_its_reason_in_every_language(
        app, api, client, data, content_type, code):
    item = api.create_item()
    image = upload_image(api, client, f"items/{item['id']}", data, content_type=content_type)
    assert run_jobs(app) == ["failed"]  # for good: another attempt would read the same bytes
    got = api.get(f"/images/{image['image_id']}").get_json()
    assert got["status"] == "failed" and got["error"]["en"] and got["error"]["zh"]
    assert got["error"]["zh"] != got["error"]["en"]
    with app.extensions["motpub"].session_factory() as session:
        assert session.get(ImageRow, image["image_id"]).error_code == code
        [job] = session.query(ImageJob).filter_by(image_id=image["image_id"]).all()
        assert job.status is JobStatus.FAILED and job.attempts == 1
    assert not app.extensions["motpub"].storage.list_keys(f"images/{image['image_id']}/")


def test_the_pixel_limit_is_a_setting(tmp_path, database_url):
    app = create_app(make_settings(tmp_path, database_url, max_image_pixels=100_000))
    client = app.test_client()
    api = Api(client, add_user(app, "editor@example.org", "editor"))
    item = api.create_item()
    image = upload_image(api, client, f"items/{item['id']}", photo(400, 300))  # 120,000 px
    assert run_jobs(app) == ["failed"]
    error = api.get(f"/images/{image['image_id']}").get_json()["error"]
    assert "400 x 300" in error["en"] and "0.1" in error["en"]
    app.extensions["motpub"].engine.dispose()


@pytest.mark.parametrize(("payload", "field"), [
    ({"filename": "a.svg", "size_bytes": 10, "content_type": "image/svg+xml"}, "content_type"),
    ({"filename": "a.mp4", "size_bytes": 10, "content_type": "video/mp4"}, "content_type"),
    ({"filename": "", "size_bytes": 10, "content_type": "image/jpeg"}, "filename"),
    ({"filename": "a.jpg", "size_bytes": 0, "content_type": "image/jpeg"}, "size_bytes"),
    ({"filename": "a.jpg", "size_bytes": 209_715_201, "content_type": "image/jpeg"},
     "size_bytes"),
])
def test_bad_image_requests_are_422_and_create_nothing(app, api, payload, field):
    item = api.create_item()
    response = api.post(f"/items/{item['id']}/images", json=payload)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["field"] == field
    with app.extensions["motpub"].session_factory() as session:
        assert session.query(ImageRow).count() == 0


def test_parts_that_do_not_add_up_to_the_declared_size_are_refused(app, api, client):
    item = api.create_item()
    data = photo()
    created = start(api, f"items/{item['id']}", data, size_bytes=len(data) + 10).get_json()
    [part] = created["upload"]["parts"]
    url = urlsplit(part["url"])
    etag = client.put(f"{url.path}?{url.query}", data=data).headers["ETag"]
    path = urlsplit(created["upload"]["complete_url"]).path.removeprefix("/api/v1")
    response = api.post(path, json={"parts": [{"number": 1, "etag": etag}]})
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "parts"
    assert "declared" in response.get_json()["error"]["message"]
    assert api.get(f"/images/{created['image_id']}").get_json()["status"] == "uploading"
    tampered = client.put(f"{url.path}?{url.query.replace('signature=', 'signature=0')}",
                          data=data)
    assert tampered.status_code == 401


def test_patch_alt_caption_credit_and_reorder_then_delete(app, api, client):
    item = api.create_item()
    ids = [start(api, f"items/{item['id']}", photo(gps=False)).get_json()["image_id"]
           for _ in range(3)]
    listed = api.get(f"/items/{item['id']}/images").get_json()["images"]
    assert [image["id"] for image in listed] == ids
    assert [image["position"] for image in listed] == [0, 1, 2]
    assert listed[0]["status"] == "uploading"

    response = api.patch(f"/images/{ids[2]}", json={
        "alt": {"zh": "青铜鼎的正面", "en": "The front of the bronze ding"},
        "caption": {"en": "Western Zhou"}, "credit": "Photo: Li Wei, CC BY 4.0",
        "position": 0})
    assert response.status_code == 200, response.get_json()
    changed = response.get_json()
    assert changed["alt"] == {"zh": "青铜鼎的正面", "en": "The front of the bronze ding"}
    assert changed["caption"] == {"en": "Western Zhou"} and changed["position"] == 0
    assert changed["credit"] == "Photo: Li Wei, CC BY 4.0"
    order = [image["id"] for image in api.get(f"/items/{item['id']}/images").get_json()["images"]]
    assert order == [ids[2], ids[0], ids[1]]
    # An empty text removes one language; the others stay.
    again = api.patch(f"/images/{ids[2]}", json={"alt": {"en": ""}}).get_json()
    assert again["alt"] == {"zh": "青铜鼎的正面"}

    for payload in ({"alt": {"fr": "Le ding"}}, {"caption": {"de": "x"}}, {"position": -1},
                    {"credit": "x" * 501}, {"width": 10}):
        assert api.patch(f"/images/{ids[0]}", json=payload).status_code == 422, payload

    assert api.delete(f"/images/{ids[2]}").status_code == 204
    left = api.get(f"/items/{item['id']}/images").get_json()["images"]
    assert [(image["id"], image["position"]) for image in left] == [(ids[0], 0), (ids[1], 1)]
    assert api.get(f"/images/{ids[2]}").status_code == 404


def test_deleting_a_ready_image_removes_its_objects_after_the_commit(app, api, client):
    item = api.create_item()
    image = upload_image(api, client, f"items/{item['id']}", photo(gps=False))
    run_jobs(app)
    storage = app.extensions["motpub"].storage
    assert storage.list_keys(f"images/{image['image_id']}/")
    assert api.delete(f"/images/{image['image_id']}").status_code == 204
    assert storage.list_keys(f"images/{image['image_id']}/") == []
    assert storage.list_keys(f"sources/images/{image['image_id']}/") == []


def test_processing_again_switches_to_a_new_version_and_drops_the_old(app, api, client):
    from motpub.media.services.images import get_image, queue_image

    item = api.create_item()
    image = upload_image(api, client, f"items/{item['id']}", photo(gps=False))
    run_jobs(app)
    runtime = app.extensions["motpub"]
    with runtime.session_factory() as session:
        first = get_image(session, image["image_id"]).version
        queue_image(session, get_image(session, image["image_id"]), runtime.tasks.process_image)
        session.commit()
    assert run_jobs(app) == ["ready"]
    with runtime.session_factory() as session:
        second = get_image(session, image["image_id"]).version
    assert second != first
    versions = {key.split("/")[2] for key in runtime.storage.list_keys(
        f"images/{image['image_id']}/")}
    assert versions == {second.split("/")[2]}


@pytest.fixture
def s3_app(tmp_path, monkeypatch, request):
    endpoint = request.getfixturevalue("s3_endpoint_url")
    use_moto_credentials(monkeypatch, tmp_path)
    bucket = "motpub-test"
    ensure_bucket(endpoint, bucket)
    prefix = f"images/{uuid.uuid4().hex}"
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
    app.extensions["motpub"].storage.delete_prefix("")
    runtime = app.extensions["motpub"]
    runtime.scan_recorder.flush()
    runtime.target_cache.close()
    runtime.engine.dispose()


def http_get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(), ""


def test_on_s3_parts_go_to_the_bucket_and_pictures_follow_the_items_publication(s3_app):
    app = s3_app
    client = app.test_client()
    api = Api(client, add_user(app, "editor@example.org", "editor"))
    item = api.create_item()
    data = photo(4100, 200)
    created = start(api, f"items/{item['id']}", data).get_json()
    [part] = created["upload"]["parts"]
    assert "/api/v1/" not in part["url"]  # presigned on the bucket
    put = urllib.request.Request(part["url"], data=data, method="PUT",
                                 headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(put, timeout=60) as response:
        etag = response.headers["ETag"]
    path = urlsplit(created["upload"]["complete_url"]).path.removeprefix("/api/v1")
    assert api.post(path, json={"parts": [{"number": 1, "etag": etag}]}).status_code == 202
    assert run_jobs(app) == ["ready"]
    got = api.get(f"/images/{created['image_id']}").get_json()
    storage = app.extensions["motpub"].storage
    public_base = app.extensions["motpub"].settings.media_public_url
    with app.extensions["motpub"].session_factory() as session:
        row = session.get(ImageRow, created["image_id"])
        jpeg_key = next(d["key"] for d in row.derivatives if d["format"] == "jpeg")
        tiles_key, source_key = row.tiles_key, row.source_key
    assert storage.exists(tiles_key)
    assert http_get(f"{public_base}/{jpeg_key}")[0] == 403  # a draft's objects are private
    # The draft's descriptor is read through the app, so the viewer's tile URLs stay signed.
    dzi = client.get(urlsplit(got["urls"]["tiles"]).path, buffered=True)
    assert dzi.status_code == 200 and 'TileSize="254"' in dzi.text
    signed = client.get(urlsplit(got["urls"]["jpeg"]["320"]).path)
    assert signed.status_code == 302
    status, body, content_type = http_get(signed.headers["Location"])
    assert status == 200 and content_type == "image/jpeg" and b"GPS" not in body

    # Publishing needs the picture's alt text in the item's default language.
    assert api.post(f"/items/{item['id']}/publish").status_code == 422
    assert api.patch(f"/images/{created['image_id']}",
                     json={"alt": {item["default_language"]: "A bronze ding"}}).status_code == 200
    assert api.post(f"/items/{item['id']}/publish").status_code == 200
    status, body, content_type = http_get(f"{public_base}/{jpeg_key}")
    assert status == 200 and content_type == "image/jpeg"
    # The source is outside the prefix whose ACL publishing changes, and never in a URL.
    assert not source_key.startswith(f"images/{created['image_id']}/")


def test_an_abandoned_image_upload_is_aborted_and_the_image_failed(app, api, client):
    from motpub.media.services.videos import abandon_uploads

    item = api.create_item()
    created = start(api, f"items/{item['id']}", photo()).get_json()
    runtime = app.extensions["motpub"]
    with runtime.session_factory() as session, session.begin():
        assert abandon_uploads(session, runtime.storage, older_than_s=0) == 1
    got = api.get(f"/images/{created['image_id']}").get_json()
    assert got["status"] == "failed" and got["error"]["zh"]


def test_a_dead_workers_image_job_is_handed_out_again_then_failed_for_good(app, api, client):
    import datetime as dt

    from motpub.media.services.jobs import claim_job, image_jobs_to_requeue, renew_lease
    from motpub.orm import utcnow

    item = api.create_item()
    image = upload_image(api, client, f"items/{item['id']}", photo(gps=False))
    runtime = app.extensions["motpub"]
    with runtime.session_factory() as session, session.begin():
        job = session.query(ImageJob).filter_by(image_id=image["image_id"]).one()
        job_id = job.id
    for attempt in range(3):
        with runtime.session_factory() as session, session.begin():
            assert claim_job(session, job_id, f"dead-{attempt}", lease_s=60, table=ImageJob)
            assert not claim_job(session, job_id, "another", lease_s=60, table=ImageJob)
            assert renew_lease(session, job_id, f"dead-{attempt}", lease_s=60, progress=0.5,
                               stage="decode", table=ImageJob)
            assert session.get(ImageRow, image["image_id"]).status.value == "processing"
            session.get(ImageJob, job_id).lease_expires_at = utcnow() - dt.timedelta(seconds=1)
        with runtime.session_factory() as session, session.begin():
            assert image_jobs_to_requeue(session) == ([job_id] if attempt < 2 else [])
    got = api.get(f"/images/{image['image_id']}").get_json()
    assert got["status"] == "failed" and got["error"]["en"]


def test_a_polyglot_is_served_only_as_the_picture_made_of_it(app, api, client):
    item = api.create_item()
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    zip_tail = b"PK\x03\x04" + b"\x00" * 26 + b"PK\x05\x06" + b"\x00" * 18
    image = upload_image(api, client, f"items/{item['id']}",
                         photo(gps=False) + html + zip_tail)
    assert run_jobs(app) == ["ready"]
    got = api.get(f"/images/{image['image_id']}").get_json()
    for fmt, urls in (("avif", got["urls"]["avif"]), ("webp", got["urls"]["webp"]),
                      ("jpeg", got["urls"]["jpeg"])):
        for url in urls.values():
            response = served(client, url)
            assert response.mimetype == f"image/{fmt}"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert b"<script" not in response.data and b"PK\x03\x04" not in response.data


def test_uploads_started_together_get_positions_of_their_own(app, api):
    item = api.create_item()
    data = photo(64, 48)
    with ThreadPoolExecutor(max_workers=4) as pool:
        started = list(pool.map(lambda _n: start(api, f"items/{item['id']}", data), range(4)))
    assert all(answer.status_code == 201 for answer in started)
    images = api.get(f"/items/{item['id']}/images").get_json()["images"]
    assert sorted(image["position"] for image in images) == [0, 1, 2, 3]
