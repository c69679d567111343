"""The server's storage failing: a full disk or an unreachable bucket is the storage's
failure (StorageFull / StorageUnavailable, 507 / 503 to the editor), never the editor's
file, and leaves nothing half-written. Full disks are real: a small tmpfs mounted by the
test (as root) and unmounted after it."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from motpub.app import create_app
from motpub.storage import (MIN_PART_BYTES, FileStorage, StorageError, StorageFull,
                            StorageUnavailable)
from motpub.storage.s3 import S3Storage, make_client
from tests.factories import Api, add_user
from tests.support import make_settings, use_moto_credentials

MIB = 1024 * 1024


@contextlib.contextmanager
def tiny_disk(path: Path, size_mib: int):
    """A real filesystem of `size_mib` MiB at `path`, for as long as the block runs."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}m,mode=755",
                              "tmpfs", str(path)], capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


def resize(path: Path, size_mib: int) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size_mib}m", str(path)], check=True)


def used_bytes(path: Path) -> int:
    stat = os.statvfs(path)
    return (stat.f_blocks - stat.f_bfree) * stat.f_frsize


def write(storage: FileStorage, key: str, upload_id: str, parts: list[bytes]) -> list:
    return [(number, storage.write_part(key, upload_id, number, io.BytesIO(data),
                                        max_bytes=len(data)).etag)
            for number, data in enumerate(parts, start=1)]


def test_completing_an_upload_needs_room_for_one_part_not_a_second_copy(tmp_path):
    parts = [os.urandom(MIN_PART_BYTES), os.urandom(MIN_PART_BYTES), os.urandom(2 * MIB)]
    whole = b"".join(parts)  # 12 MiB; a second copy would need 24 MiB in all
    with tiny_disk(tmp_path / "disk", 19) as disk:
        storage = FileStorage(disk, public_url="http://motpub.test")
        upload_id = storage.create_multipart("sources/1/a/clip.mp4", content_type="video/mp4")
        etags = write(storage, "sources/1/a/clip.mp4", upload_id, parts)
        storage.complete_multipart("sources/1/a/clip.mp4", upload_id, etags)
        assert hashlib.sha256(storage.get_bytes("sources/1/a/clip.mp4")).digest() == \
            hashlib.sha256(whole).digest()
        assert used_bytes(disk) < len(whole) + MIB  # the parts are gone, one copy is left
        assert storage.list_keys("") == ["sources/1/a/clip.mp4"]
        assert storage.abandoned_uploads(0) == []


def test_a_completion_refused_for_room_changes_nothing_and_succeeds_once_there_is_room(
        tmp_path):
    parts = [os.urandom(MIN_PART_BYTES), os.urandom(3 * MIB)]
    with tiny_disk(tmp_path / "disk", 9) as disk:
        storage = FileStorage(disk, public_url="http://motpub.test")
        upload_id = storage.create_multipart("sources/1/a/clip.mp4", content_type="video/mp4")
        etags = write(storage, "sources/1/a/clip.mp4", upload_id, parts)
        with pytest.raises(StorageFull):
            storage.complete_multipart("sources/1/a/clip.mp4", upload_id, etags)
        assert storage.list_keys("") == []
        assert storage.list_parts("sources/1/a/clip.mp4", upload_id) == \
            storage.list_parts("sources/1/a/clip.mp4", upload_id)
        assert [p.etag for p in storage.list_parts("sources/1/a/clip.mp4", upload_id)] == \
            [etag for _, etag in etags]
        resize(disk, 16)
        storage.complete_multipart("sources/1/a/clip.mp4", upload_id, etags)
        assert storage.get_bytes("sources/1/a/clip.mp4") == b"".join(parts)


def test_a_completion_cut_off_by_a_full_disk_goes_on_where_it_stopped(tmp_path, monkeypatch):
    """The room check passed, then the disk filled up (another writer) mid-assembly."""
    parts = [os.urandom(MIN_PART_BYTES), os.urandom(MIN_PART_BYTES), os.urandom(MIN_PART_BYTES)]
    with tiny_disk(tmp_path / "disk", 24) as disk:
        storage = FileStorage(disk, public_url="http://motpub.test")
        key = "sources/1/a/clip.mp4"
        upload_id = storage.create_multipart(key, content_type="video/mp4")
        etags = write(storage, key, upload_id, parts)
        directory = disk / ".multipart" / upload_id
        # Part 2 goes in; then another writer on the disk takes all but 1 MiB, so part 3
        # no longer fits: a real ENOSPC in the middle of the assembly.
        original_unlink = Path.unlink

        def unlink_then_fill(self, *args, **kwargs):
            original_unlink(self, *args, **kwargs)
            if self.name.startswith("00002.") and self.parent == directory:
                stat = os.statvfs(disk)
                (disk / "neighbour").write_bytes(b"\0" * (stat.f_bavail * stat.f_frsize - MIB))

        with monkeypatch.context() as patch:
            patch.setattr(Path, "unlink", unlink_then_fill)
            with pytest.raises(StorageFull):
                storage.complete_multipart(key, upload_id, etags)
        assert not storage.exists(key)
        assert sorted(p.name for p in directory.glob("*.part")) == \
            [f"00003.{etags[2][1].strip(chr(34))}.part"]
        assert (directory / "assembly.data").stat().st_size == 2 * MIN_PART_BYTES
        with pytest.raises(StorageError, match="being completed"):
            storage.write_part(key, upload_id, 2, io.BytesIO(b"x"), max_bytes=1)
        (disk / "neighbour").unlink()
        storage.complete_multipart(key, upload_id, etags)
        assert storage.get_bytes(key) == b"".join(parts)
        assert storage.abandoned_uploads(0) == []


def test_a_full_disk_is_a_storage_full_error_and_leaves_no_temp_file(tmp_path):
    with tiny_disk(tmp_path / "disk", 1) as disk:
        storage = FileStorage(disk, public_url="http://motpub.test")
        with pytest.raises(StorageFull, match="No space left"):
            storage.put_bytes("videos/1/v1/seg.m4s", os.urandom(2 * MIB))
        upload_id = storage.create_multipart("sources/1/a/clip.mp4", content_type="video/mp4")
        with pytest.raises(StorageFull):
            storage.write_part("sources/1/a/clip.mp4", upload_id, 1,
                               io.BytesIO(os.urandom(2 * MIB)), max_bytes=2 * MIB)
        leftovers = [path for path in disk.rglob("*") if path.is_file()
                     and path.name != "upload.json"]
        assert leftovers == []


def test_an_unreachable_bucket_is_storage_unavailable(tmp_path, monkeypatch):
    use_moto_credentials(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    import socket

    with socket.socket() as closed:  # a loopback port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    storage = S3Storage(make_client(f"http://127.0.0.1:{port}"), "motpub-test")
    with pytest.raises(StorageUnavailable):
        storage.put_bytes("videos/1/v1/seg.m4s", b"data")
    with pytest.raises(StorageUnavailable):
        storage.create_multipart("sources/1/a/clip.mp4", content_type="video/mp4")


@pytest.fixture
def disk_app(tmp_path):
    with tiny_disk(tmp_path / "disk", 10) as disk:
        settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'motpub.db'}",
                                 storage_url=f"file://{disk}")
        from motpub.database import make_engine
        from motpub.orm import Base

        engine = make_engine(settings.database_url)
        Base.metadata.create_all(engine)
        engine.dispose()
        app = create_app(settings)
        yield app, disk
        runtime = app.extensions["motpub"]
        runtime.scan_recorder.flush()
        runtime.target_cache.close()
        runtime.engine.dispose()


def test_a_full_disk_is_507_naming_the_servers_storage_not_the_editors_file(disk_app):
    app, disk = disk_app
    client = app.test_client()
    api = Api(client, add_user(app, "editor@example.org", "editor"))
    item = api.create_item()
    data = os.urandom(12 * MIB)  # two parts of 8 MiB and 4 MiB; the disk holds 10 MiB
    plan = api.post(f"/items/{item['id']}/videos", json={
        "language": None, "filename": "clip.mp4", "size_bytes": len(data),
        "content_type": "video/mp4"}).get_json()
    size = plan["upload"]["part_size_bytes"]
    responses = []
    for part in plan["upload"]["parts"]:
        url = urlsplit(part["url"])
        responses.append(client.put(f"{url.path}?{url.query}",
                                    data=data[(part["number"] - 1) * size:][:size]))
    assert [r.status_code for r in responses] == [200, 507]
    error = responses[1].get_json()["error"]
    assert error["code"] == "insufficient_storage"
    assert "server's storage is full" in error["message"] and "your file is fine" in \
        error["message"]
    assert "服务器存储空间已满" in error["message"]
    video_id = plan["video_id"]
    parts = api.get(f"/videos/{video_id}/parts").get_json()["parts"]
    assert [p["number"] for p in parts] == [1]  # no half-written part 2
    assert not [p for p in disk.rglob("*.tmp")]

    resize(disk, 32)  # the operator frees space; the editor sends part 2 again
    url = urlsplit(plan["upload"]["parts"][1]["url"])
    again = client.put(f"{url.path}?{url.query}", data=data[size:])
    assert again.status_code == 200
    etags = [{"number": 1, "etag": responses[0].headers["ETag"]},
             {"number": 2, "etag": again.headers["ETag"]}]
    resize(disk, 16)  # room for the parts, not for assembling them
    full = api.post(f"/videos/{video_id}/complete", json={"parts": etags})
    assert full.status_code == 507, full.get_json()
    assert api.get(f"/videos/{video_id}").get_json()["status"] == "uploading"
    resize(disk, 32)
    assert api.post(f"/videos/{video_id}/complete", json={"parts": etags}).status_code == 202


def test_a_second_completion_while_one_runs_is_refused_and_the_object_stays_whole(tmp_path):
    import fcntl

    storage = FileStorage(tmp_path / "media", public_url="http://motpub.test")
    parts = [os.urandom(MIN_PART_BYTES), b"tail"]
    key = "sources/1/a/clip.mp4"
    upload_id = storage.create_multipart(key, content_type="video/mp4")
    etags = write(storage, key, upload_id, parts)
    state = tmp_path / "media" / ".multipart" / upload_id / "upload.json"
    with open(state, "rb") as running:  # what a completion in progress holds
        fcntl.flock(running.fileno(), fcntl.LOCK_EX)
        with pytest.raises(StorageError, match="already being completed"):
            storage.complete_multipart(key, upload_id, etags)
    storage.complete_multipart(key, upload_id, etags)
    assert storage.get_bytes(key) == b"".join(parts)
