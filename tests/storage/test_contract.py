"""One contract, two backends: each test runs on the file backend and on S3 over real HTTP.

S3 is moto's server on loopback, started once per session, or a real S3-compatible server
such as MinIO when MOTPUB_TEST_S3_ENDPOINT_URL is set (docs/storage.md says how).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from motpub.storage import MIN_PART_BYTES, FileStorage, Part, Storage, StorageError, make_storage
from tests.support import ensure_bucket, use_moto_credentials

PUBLIC_URL = "http://motpub.test"
REMAKE = pytest.StashKey[functools.partial]()
KEY = "videos/12/v8f3a/720p/seg_00001.m4s"


@pytest.fixture(params=["file", "s3"])
def storage(request, tmp_path, monkeypatch) -> Storage:
    if request.param == "file":
        url, endpoint_url = f"file://{tmp_path / 'media'}", None
    else:
        endpoint_url = request.getfixturevalue("s3_endpoint_url")
        if not os.environ.get("MOTPUB_TEST_S3_ENDPOINT_URL"):
            use_moto_credentials(monkeypatch, tmp_path)
        bucket = os.environ.get("MOTPUB_TEST_S3_BUCKET", "motpub-test")
        ensure_bucket(endpoint_url, bucket)
        # A fresh prefix per test: tests never see each other's objects, even on a shared bucket.
        url = f"s3://{bucket}/contract/{uuid.uuid4().hex}"
    remake = functools.partial(make_storage, url, public_url=PUBLIC_URL,
                               s3_endpoint_url=endpoint_url)
    request.node.stash[REMAKE] = remake
    storage = remake()
    yield storage
    for key, upload_id in storage.abandoned_uploads(0):
        storage.abort_multipart(key, upload_id)
    storage.delete_prefix("")


@pytest.fixture
def remake(storage, request) -> functools.partial:
    """make_storage with the same backend and location as `storage`, to vary an option."""
    return request.node.stash[REMAKE]


def only(backend: str):
    return pytest.mark.parametrize("storage", [backend], indirect=True)


def http(method: str, url: str, *, data: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def upload_part(storage: Storage, key: str, upload_id: str, number: int, data: bytes) -> str:
    """Send one part as a client would: a PUT to the presigned URL, or the app's own endpoint."""
    url = storage.part_url(key, upload_id, number, expires_s=300)
    if url is None:
        return storage.write_part(key, upload_id, number, io.BytesIO(data),
                                  max_bytes=len(data)).etag
    status, headers, body = http("PUT", url, data=data,
                                 headers={"Content-Type": "application/octet-stream"})
    assert status == 200, body
    return headers["ETag"]


def md5_etag(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


# Objects


def test_put_bytes_then_get_exists_and_size_agree(storage):
    storage.put_bytes(KEY, b"segment", content_type="video/iso.segment")
    assert storage.get_bytes(KEY) == b"segment"
    assert storage.exists(KEY)
    assert storage.size_bytes(KEY) == 7


def test_put_file_stores_the_file_and_overwrites(storage, tmp_path):
    source = tmp_path / "source.mp4"
    source.write_bytes(b"first" * 1000)
    storage.put_file("videos/1/source.mp4", source, content_type="video/mp4")
    assert storage.get_bytes("videos/1/source.mp4") == b"first" * 1000
    source.write_bytes(b"second")
    storage.put_file("videos/1/source.mp4", source)
    assert storage.get_bytes("videos/1/source.mp4") == b"second"


def test_put_file_of_a_large_file_round_trips(storage, tmp_path):
    # Past boto3's 8 MiB threshold, so on S3 the managed transfer uploads it in parts.
    data = os.urandom(9 * 1024 * 1024)
    (tmp_path / "large.mov").write_bytes(data)
    storage.put_file("videos/1/large.mov", tmp_path / "large.mov", content_type="video/quicktime")
    assert storage.size_bytes("videos/1/large.mov") == len(data)
    assert storage.get_bytes("videos/1/large.mov") == data


def test_a_failed_put_leaves_the_previous_object(storage, tmp_path):
    storage.put_bytes(KEY, b"old")
    with pytest.raises(StorageError, match="cannot store"):
        storage.put_file(KEY, tmp_path / "missing.mp4")
    assert storage.get_bytes(KEY) == b"old"


def test_a_missing_object_is_a_storage_error_except_for_exists_and_delete(storage):
    assert not storage.exists(KEY)
    for read in (storage.get_bytes, storage.size_bytes):
        with pytest.raises(StorageError, match="no object at"):
            read(KEY)
    with pytest.raises(StorageError, match="no object at"), storage.local_path(KEY):
        pass
    storage.delete(KEY)


def test_delete_removes_the_object(storage):
    storage.put_bytes(KEY, b"x")
    storage.delete(KEY)
    assert not storage.exists(KEY)
    assert storage.list_keys("") == []


def test_list_keys_is_a_sorted_string_prefix_match(storage):
    keys = ["videos/1/b/c.m4s", "videos/1/a.m4s", "videos/12/a.m4s", "videos/2/x", "codes/y"]
    for key in keys:
        storage.put_bytes(key, b"x")
    assert storage.list_keys("videos/1/") == ["videos/1/a.m4s", "videos/1/b/c.m4s"]
    assert storage.list_keys("videos/1") == ["videos/1/a.m4s", "videos/1/b/c.m4s",
                                             "videos/12/a.m4s"]
    assert storage.list_keys("") == sorted(keys)
    assert storage.list_keys("nothing/") == []


def test_delete_prefix_deletes_only_that_prefix_and_counts(storage):
    for key in ["videos/1/a", "videos/1/b/c", "videos/12/a", "videos/2/a"]:
        storage.put_bytes(key, b"x")
    assert storage.delete_prefix("videos/1/") == 2
    assert storage.list_keys("") == ["videos/12/a", "videos/2/a"]
    assert storage.delete_prefix("videos/1/") == 0


def test_local_path_is_a_real_readable_file(storage):
    storage.put_bytes("videos/1/source.mov", b"\x00\x01movie")
    with storage.local_path("videos/1/source.mov") as path:
        assert path.is_file() and path.suffix == ".mov"
        with open(path, "rb") as handle:
            assert handle.read() == b"\x00\x01movie"
    assert storage.exists("videos/1/source.mov")


@only("s3")
def test_local_path_on_s3_is_a_temp_download_deleted_on_exit(storage):
    storage.put_bytes(KEY, b"x")
    with storage.local_path(KEY) as path:
        assert path.exists()
    assert not path.exists() and not path.parent.exists()


BAD_KEYS = ["", "/videos/1", "videos/../../etc/passwd", "..", "videos//1", "videos/1/",
            "videos\\1", "videos/./1", ".multipart/x/upload.json", "videos/\x00"]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_that_could_escape_or_name_nothing_are_refused(storage, key, tmp_path):
    def open_local_path():
        with storage.local_path(key):
            pass

    calls = [
        lambda: storage.put_bytes(key, b"x"), lambda: storage.get_bytes(key),
        lambda: storage.put_file(key, tmp_path), lambda: storage.exists(key),
        lambda: storage.size_bytes(key), lambda: storage.delete(key),
        lambda: storage.url(key), lambda: storage.url(key, expires_s=60),
        lambda: storage.create_multipart(key, content_type="video/mp4"), open_local_path,
    ]
    for call in calls:
        with pytest.raises(StorageError, match="invalid key"):
            call()


@pytest.mark.parametrize("prefix", ["/", "../", "videos//", "videos/../"])
def test_prefixes_that_could_escape_are_refused(storage, prefix):
    with pytest.raises(StorageError, match="invalid key"):
        storage.list_keys(prefix)
    with pytest.raises(StorageError, match="invalid key"):
        storage.delete_prefix(prefix)


@only("file")
def test_the_file_backend_writes_inside_its_root_and_leaves_no_temp_files(storage, tmp_path):
    with pytest.raises(StorageError):
        storage.put_bytes("../escaped", b"x")
    storage.put_bytes(KEY, b"x")
    storage.put_bytes(KEY, b"y")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                  if p.is_file()) == [f"media/{KEY}"]
    storage.delete(KEY)
    assert list((tmp_path / "media").iterdir()) == []


# URLs


@only("file")
def test_url_on_the_file_backend_is_the_apps_media_route(storage):
    assert storage.url(KEY) == f"{PUBLIC_URL}/media/{KEY}"
    assert storage.url("videos/1/a b.mp4") == f"{PUBLIC_URL}/media/videos/1/a%20b.mp4"


def test_url_with_a_media_public_url_is_that_base_and_the_key(remake):
    storage = remake(media_public_url="https://cdn.example.org/motpub/")
    assert storage.url(KEY) == f"https://cdn.example.org/motpub/{KEY}"


def test_media_origins_start_with_the_media_public_urls_origin(remake):
    storage = remake(media_public_url="https://cdn.example.org/motpub/")
    assert storage.media_origins()[0] == "https://cdn.example.org"


@only("file")
def test_the_file_backend_has_no_origin_but_the_apps(storage):
    assert storage.media_origins() == storage.upload_origins() == ()


@only("s3")
def test_s3_media_and_parts_go_to_its_endpoint(storage, remake, s3_endpoint_url):
    endpoint = s3_endpoint_url.rstrip("/")
    assert storage.media_origins() == storage.upload_origins() == (endpoint,)
    assert remake(media_public_url="https://cdn.example.org").media_origins() == (
        "https://cdn.example.org", endpoint)


def test_s3_without_an_endpoint_is_aws_in_any_region(tmp_path, monkeypatch):
    use_moto_credentials(monkeypatch, tmp_path)
    storage = make_storage("s3://media/motpub", public_url=PUBLIC_URL)
    assert storage.media_origins() == storage.upload_origins() == ("https://*.amazonaws.com",)
    with_cdn = make_storage("s3://media/motpub", public_url=PUBLIC_URL,
                            media_public_url="https://cdn.example.org")
    assert with_cdn.media_origins() == ("https://cdn.example.org",)
    assert with_cdn.upload_origins() == ("https://*.amazonaws.com",)


@only("s3")
def test_url_on_s3_is_a_presigned_get_even_with_a_media_public_url(storage, remake):
    storage.put_bytes("videos/1/poster.jpg", b"0123456789")
    status, headers, body = http("GET", storage.url("videos/1/poster.jpg"))
    assert (status, body) == (200, b"0123456789")
    assert headers["Content-Type"] == "image/jpeg"  # guessed from the key when not given
    draft = remake(media_public_url="https://cdn.example.org/motpub")
    assert "X-Amz-Signature=" in draft.url("videos/1/poster.jpg", expires_s=60)


@only("s3")
def test_a_presigned_url_serves_a_byte_range(storage):
    storage.put_bytes(KEY, b"0123456789", content_type="video/iso.segment")
    url = storage.url(KEY, expires_s=60)
    assert "X-Amz-Expires=60" in url
    status, headers, body = http("GET", url, headers={"Range": "bytes=2-5"})
    assert (status, body) == (206, b"2345")
    assert headers["Content-Type"] == "video/iso.segment"


# Multipart uploads


def test_multipart_upload_end_to_end(storage):
    # S3's minimum part size, except for the last part.
    parts = [os.urandom(MIN_PART_BYTES + 1024 * 1024), os.urandom(MIN_PART_BYTES), b"tail"]
    upload_id = storage.create_multipart("videos/1/source.mp4", content_type="video/mp4")
    etags = [upload_part(storage, "videos/1/source.mp4", upload_id, number, data)
             for number, data in enumerate(parts, start=1)]
    assert etags == [md5_etag(data) for data in parts]
    assert storage.list_keys("") == []  # an upload in progress is not an object yet

    storage.complete_multipart("videos/1/source.mp4", upload_id, list(enumerate(etags, 1)))

    assert storage.get_bytes("videos/1/source.mp4") == b"".join(parts)
    assert storage.size_bytes("videos/1/source.mp4") == sum(map(len, parts))
    assert storage.list_keys("") == ["videos/1/source.mp4"]
    assert storage.abandoned_uploads(0) == []
    if not isinstance(storage, FileStorage):
        _, headers, _ = http("GET", storage.url("videos/1/source.mp4"),
                             headers={"Range": "bytes=0-0"})
        assert headers["Content-Type"] == "video/mp4"
    with pytest.raises(StorageError):
        storage.list_parts("videos/1/source.mp4", upload_id)


def test_list_parts_shows_the_parts_received_so_far_for_resuming(storage):
    upload_id = storage.create_multipart(KEY, content_type="video/mp4")
    first = upload_part(storage, KEY, upload_id, 1, b"a" * 100)
    second = upload_part(storage, KEY, upload_id, 2, b"b" * 200)
    assert storage.list_parts(KEY, upload_id) == [Part(1, first, 100), Part(2, second, 200)]
    third = upload_part(storage, KEY, upload_id, 3, b"c")
    assert [part.etag for part in storage.list_parts(KEY, upload_id)] == [first, second, third]


def test_reuploading_a_part_replaces_it(storage):
    upload_id = storage.create_multipart(KEY, content_type="video/mp4")
    old = upload_part(storage, KEY, upload_id, 1, b"old part")
    new = upload_part(storage, KEY, upload_id, 1, b"new part!")
    assert storage.list_parts(KEY, upload_id) == [Part(1, new, 9)]
    with pytest.raises(StorageError, match="part 1: etag does not match"):
        storage.complete_multipart(KEY, upload_id, [(1, old)])
    storage.complete_multipart(KEY, upload_id, [(1, new)])
    assert storage.get_bytes(KEY) == b"new part!"


def test_complete_with_a_wrong_etag_fails_and_leaves_no_object(storage):
    upload_id = storage.create_multipart(KEY, content_type="video/mp4")
    first = upload_part(storage, KEY, upload_id, 1, os.urandom(MIN_PART_BYTES))
    upload_part(storage, KEY, upload_id, 2, b"tail")
    with pytest.raises(StorageError, match="part 2: etag does not match"):
        storage.complete_multipart(KEY, upload_id, [(1, first), (2, md5_etag(b"other"))])
    assert not storage.exists(KEY)
    assert [part.number for part in storage.list_parts(KEY, upload_id)] == [1, 2]


@pytest.mark.parametrize(("numbers", "message"), [
    ([], "no parts"),
    ([2, 1], "part 1: part numbers must be unique and ascending"),
    ([1, 1], "part 1: part numbers must be unique and ascending"),
    ([1, 3], "part 3: not received"),
    ([1, 2], f"part 1: 100 bytes is below the {MIN_PART_BYTES} byte minimum"),
])
def test_complete_refuses_a_bad_part_list(storage, numbers, message):
    upload_id = storage.create_multipart(KEY, content_type="video/mp4")
    etags = {1: upload_part(storage, KEY, upload_id, 1, b"a" * 100),
             2: upload_part(storage, KEY, upload_id, 2, b"b")}
    with pytest.raises(StorageError, match=message):
        storage.complete_multipart(KEY, upload_id,
                                   [(number, etags.get(number, '"x"')) for number in numbers])
    assert not storage.exists(KEY)


def test_abort_removes_the_upload_and_its_parts(storage):
    upload_id = storage.create_multipart(KEY, content_type="video/mp4")
    etag = upload_part(storage, KEY, upload_id, 1, b"part")
    storage.abort_multipart(KEY, upload_id)
    with pytest.raises(StorageError):
        storage.list_parts(KEY, upload_id)
    with pytest.raises(StorageError):
        storage.complete_multipart(KEY, upload_id, [(1, etag)])
    assert storage.abandoned_uploads(0) == []
    assert not storage.exists(KEY)
    storage.abort_multipart(KEY, upload_id)  # twice is fine: a cleanup job may race a user


def test_abandoned_uploads_lists_uploads_started_before_the_limit(storage):
    upload_id = storage.create_multipart(KEY, content_type="video/mp4")
    assert storage.abandoned_uploads(0) == [(KEY, upload_id)]
    # Moto reports every upload as started in 2010, so a recent upload's absence from a
    # longer limit is proved on the file backend below (and on a real server, see docs).
    if isinstance(storage, FileStorage) or os.environ.get("MOTPUB_TEST_S3_ENDPOINT_URL"):
        assert storage.abandoned_uploads(3600) == []


@only("s3")
def test_abandoned_uploads_sees_only_its_own_prefix(storage, remake):
    neighbour = make_storage(remake.args[0] + "-neighbour", **remake.keywords)
    theirs = neighbour.create_multipart(KEY, content_type="video/mp4")
    try:
        mine = storage.create_multipart(KEY, content_type="video/mp4")
        assert storage.abandoned_uploads(0) == [(KEY, mine)]
    finally:
        neighbour.abort_multipart(KEY, theirs)


@only("file")
def test_abandoned_uploads_goes_by_the_recorded_start_time(storage):
    old = storage.create_multipart("videos/1/old.mp4", content_type="video/mp4")
    storage.create_multipart("videos/2/new.mp4", content_type="video/mp4")
    state_path = storage.root / ".multipart" / old / "upload.json"
    state = json.loads(state_path.read_text())
    state["created_at"] = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    state_path.write_text(json.dumps(state))
    assert storage.abandoned_uploads(24 * 3600) == [("videos/1/old.mp4", old)]


def test_part_url_is_presigned_on_s3_and_none_on_the_file_backend(storage):
    upload_id = storage.create_multipart(KEY, content_type="video/mp4")
    url = storage.part_url(KEY, upload_id, 1, expires_s=60)
    if isinstance(storage, FileStorage):
        assert url is None
    else:
        assert "X-Amz-Signature=" in url and "partNumber=1" in url
        with pytest.raises(NotImplementedError):
            storage.write_part(KEY, upload_id, 1, io.BytesIO(b"x"), max_bytes=1)


@only("file")
def test_write_part_refuses_more_than_max_bytes_and_keeps_the_previous_part(storage):
    upload_id = storage.create_multipart(KEY, content_type="video/mp4")
    kept = storage.write_part(KEY, upload_id, 1, io.BytesIO(b"0123456789"), max_bytes=10)
    with pytest.raises(StorageError, match="part 1: more than 10 bytes"):
        storage.write_part(KEY, upload_id, 1, io.BytesIO(b"0123456789+"), max_bytes=10)
    assert storage.list_parts(KEY, upload_id) == [kept]
    md5 = kept.etag.strip('"')
    upload_files = sorted(p.name for p in (storage.root / ".multipart" / upload_id).iterdir())
    assert upload_files == [f"00001.{md5}.part", "upload.json"]  # no partial part left


class RecordingStream(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.sizes: list[int | None] = []

    def read(self, size: int | None = -1) -> bytes:
        self.sizes.append(size)
        return super().read(size)


@only("file")
def test_write_part_streams_in_bounded_chunks(storage):
    upload_id = storage.create_multipart(KEY, content_type="video/mp4")
    stream = RecordingStream(os.urandom(3 * 1024 * 1024 + 5))
    part = storage.write_part(KEY, upload_id, 1, stream, max_bytes=10 * 1024 * 1024)
    assert part == Part(1, md5_etag(stream.getvalue()), 3 * 1024 * 1024 + 5)
    assert len(stream.sizes) > 3 and all(0 < size <= 1024 * 1024 for size in stream.sizes)


# File backend only: moto does not tie an upload id to its key, so it cannot prove this on S3.
@only("file")
def test_an_upload_belongs_to_its_key(storage):
    upload_id = storage.create_multipart(KEY, content_type="video/mp4")
    upload_part(storage, KEY, upload_id, 1, b"part")
    with pytest.raises(StorageError):
        storage.list_parts("videos/other.mp4", upload_id)


# Choosing a backend


@pytest.mark.parametrize("url", ["ftp://example.org/media", "file://relative/media",
                                 "s3:///prefix", "media"])
def test_make_storage_refuses_other_urls(url):
    with pytest.raises(StorageError, match="storage URL must be"):
        make_storage(url, public_url=PUBLIC_URL)


def preflight(url: str, origin: str) -> dict[str, str] | None:
    """The CORS headers a browser's preflight for a part PUT gets; None when refused."""
    request = urllib.request.Request(url, method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return {name.lower(): value for name, value in response.headers.items()
                    if name.lower().startswith("access-control-")}
    except urllib.error.HTTPError:
        return None


def test_allow_origins_sets_the_bucket_cors_rule_beside_others(storage):
    studio = "https://motpub.example.org"
    if isinstance(storage, FileStorage):  # the app serves it: same origin, nothing to allow
        assert storage.allow_origins([studio]) is None
        return
    client, bucket = storage._client, storage.bucket
    try:
        previous = client.get_bucket_cors(Bucket=bucket)["CORSRules"]
    except client.exceptions.ClientError:
        previous = []
    theirs = {"ID": "cdn", "AllowedOrigins": ["https://cdn.example.org"],
              "AllowedMethods": ["GET"]}
    client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [theirs]})
    try:
        storage.allow_origins(["https://old.example.org"])
        rules = storage.allow_origins([studio])  # run again: replaces only its own rule
        stored = client.get_bucket_cors(Bucket=bucket)["CORSRules"]
        assert [rule.get("ID") for rule in stored] == ["cdn", "motpub"] and stored == rules
        ours = stored[1]
        assert ours["AllowedOrigins"] == [studio] and "ETag" in ours["ExposeHeaders"]
        assert {"GET", "HEAD", "PUT"} <= set(ours["AllowedMethods"])

        # What a studio page's browser asks before it PUTs a part to its presigned URL.
        # moto refuses a preflight unless every rule matches its origin (S3 uses the first
        # rule that does), so this part runs with motpub's rule alone.
        client.delete_bucket_cors(Bucket=bucket)
        storage.allow_origins([studio])
        upload_id = storage.create_multipart("sources/1/clip.mp4", content_type="video/mp4")
        url = storage.part_url("sources/1/clip.mp4", upload_id, 1, expires_s=600)
        allowed = preflight(url, studio)
        assert allowed is not None
        assert allowed["access-control-allow-origin"] == studio
        assert "PUT" in allowed["access-control-allow-methods"]
        assert preflight(url, "https://elsewhere.example.org") is None
    finally:
        if previous:
            client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": previous})
        else:
            client.delete_bucket_cors(Bucket=bucket)


def test_check_reachable_passes_and_fails_without_writing_anything(storage, tmp_path, request):
    storage.check_reachable()
    assert storage.list_keys("") == []
    if isinstance(storage, FileStorage):
        blocker = tmp_path / "blocker"
        blocker.write_text("in the way")  # a file where the folder must be made
        unreachable = make_storage(f"file://{blocker}/media", public_url=PUBLIC_URL)
    else:  # a bucket that is not there: every object's HEAD would only say "no such key"
        unreachable = make_storage(f"s3://motpub-missing-{uuid.uuid4().hex[:12]}/x",
                                   public_url=PUBLIC_URL,
                                   s3_endpoint_url=request.getfixturevalue("s3_endpoint_url"))
    with pytest.raises(StorageError):
        unreachable.check_reachable()
