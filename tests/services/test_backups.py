"""`motpub backup` and `motpub restore`: a deployment backed up while scans keep coming comes
back with the same API answers and the same media, byte for byte, on SQLite with files and
on PostgreSQL with S3; a damaged backup or a deployment in use is refused untouched."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import threading
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, insert, select, text, update

from motpub.app import create_app
from motpub.config import PROJECT_ROOT, Settings
from motpub.database import upgrade
from motpub.codes.models.code import Code
from motpub.items.models import Item
from motpub.media.models.transcode_job import JobStatus, TranscodeJob
from motpub.analytics.models.scan import Scan
from motpub.media.models.video import Video
from motpub.operations.services.backups import create_backup
from motpub.analytics.services.rollups import roll_up_visits
from motpub.orm import utcnow
from tests.factories import add_user, Api, complete, make_clip, run_jobs
from tests.support import (
    admin_engine, empty_database, ensure_bucket, make_settings, use_moto_credentials)

MIGRATIONS = str(PROJECT_ROOT / "migrations")
MEDIA_PUBLIC_URL = "http://media.motpub.test"


@dataclass
class Deployment:
    settings: Settings
    app: object = None

    def start(self):
        self.app = create_app(self.settings)
        return self.app

    def stop(self):
        if self.app is not None:
            runtime = self.app.extensions["motpub"]
            runtime.scan_recorder.flush()
            runtime.target_cache.close()
            runtime.engine.dispose()

    @property
    def storage(self):
        return self.app.extensions["motpub"].storage

    def invoke(self, *args: str):
        return self.app.test_cli_runner().invoke(args=list(args))


def _sqlite_file(root: Path, *, migrated: bool) -> Settings:
    url = f"sqlite:///{root / 'motpub.db'}"
    if migrated:
        root.mkdir(parents=True)
        upgrade(url, MIGRATIONS)
    return make_settings(root, url, media_public_url=MEDIA_PUBLIC_URL, job_lease_s=1.0)


@pytest.fixture(params=["sqlite+file", "postgresql+s3"])
def deployments(request, tmp_path, monkeypatch):
    """A source deployment and an empty one to restore into, of the same kind."""
    if request.param == "sqlite+file":
        # The target is a fresh data folder: no database until the restore brings one.
        source = Deployment(_sqlite_file(tmp_path / "source", migrated=True))
        target = Deployment(_sqlite_file(tmp_path / "target", migrated=False))
        yield source, target
        source.stop()
        target.stop()
        return
    postgres_url = request.getfixturevalue("postgres_url")
    endpoint_url = request.getfixturevalue("s3_endpoint_url")
    if not os.environ.get("MOTPUB_TEST_S3_ENDPOINT_URL"):
        use_moto_credentials(monkeypatch, tmp_path)
    bucket = os.environ.get("MOTPUB_TEST_S3_BUCKET", "motpub-test")
    ensure_bucket(endpoint_url, bucket)
    target_url = f"{postgres_url}_restored"
    admin = admin_engine(target_url)
    name = target_url.rpartition("/")[2]
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def s3_settings(root: Path, url: str) -> Settings:
        return make_settings(root, url, storage_url=f"s3://{bucket}/backups/{uuid.uuid4().hex}",
                             s3_endpoint_url=endpoint_url, media_public_url=MEDIA_PUBLIC_URL,
                             job_lease_s=1.0)

    source = Deployment(s3_settings(tmp_path / "source", postgres_url))
    target = Deployment(s3_settings(tmp_path / "target", target_url))
    try:
        yield source, target
    finally:
        source.stop()
        target.stop()
        empty_database(postgres_url)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def upload(api, client, item_id: int, data: bytes) -> dict:
    """Upload as a client does: to the app's part URLs, or straight to the bucket."""
    plan = api.post(f"/items/{item_id}/videos", json={
        "language": "zh", "filename": "clip.mp4", "size_bytes": len(data),
        "content_type": "video/mp4"}).get_json()
    size, etags = plan["upload"]["part_size_bytes"], []
    for part in plan["upload"]["parts"]:
        chunk = data[(part["number"] - 1) * size: part["number"] * size]
        url = urlsplit(part["url"])
        if url.netloc == "motpub.test":
            etag = client.put(f"{url.path}?{url.query}", data=chunk).headers["ETag"]
        else:
            # A form content type, urllib's default, makes moto lose the part number.
            request = urllib.request.Request(part["url"], data=chunk, method="PUT", headers={
                "Content-Type": "application/octet-stream"})
            with urllib.request.urlopen(request, timeout=30) as response:
                etag = response.headers["ETag"]
        etags.append({"number": part["number"], "etag": etag})
    plan["etags"] = etags
    return plan


def fill(app, clip: Path) -> dict:
    """Items in both languages with codes, a ready video with captions, scans of past days
    and their rollups; returns the tokens and what to compare."""
    client = app.test_client()
    editor = add_user(app, "editor@example.org", "editor")
    analyst = add_user(app, "analyst@example.org", "analyst")
    api = Api(client, editor)
    first, code = api.published_item_with_code()
    second = api.create_item(slug="jade-bi", title={"zh": "玉璧", "en": "Jade bi"})
    api.post(f"/items/{second['id']}/codes", json={"label": "Hall 2"})
    plan = upload(api, client, first["id"], clip.read_bytes())
    complete(api, plan)
    assert run_jobs(app) == ["ready"]
    srt = b"1\r\n00:00:00,500 --> 00:00:02,000\r\nA bronze vessel\r\n"
    response = api.post(f"/videos/{plan['video_id']}/captions",
                        data={"language": "en", "file": (io.BytesIO(srt), "en.srt")},
                        content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    runtime = app.extensions["motpub"]
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    with runtime.session_factory() as session, session.begin():
        code_id = session.scalar(select(Code.id).where(Code.code == code))
        session.execute(insert(Scan), [
            {"code_id": code_id, "item_id": first["id"], "language": ("zh", "en")[n % 2],
             "language_source": "header", "device_class": "mobile",
             "visitor_hash": f"v{n % 7}", "scanned_at": now - dt.timedelta(hours=30 + 5 * n)}
            for n in range(40)])
    roll_up_visits(runtime.session_factory, now=now, keep_days=90)
    return {"editor": editor, "analyst": analyst, "code": code,
            "item_ids": [first["id"], second["id"]], "video_id": plan["video_id"]}


def answers(app, filled: dict) -> dict:
    """What the API says about everything backed up; scans of today are left out, as they
    keep coming during the backup."""
    client = app.test_client()
    editor, analyst = Api(client, filled["editor"]), Api(client, filled["analyst"])
    today = dt.date.today()
    past = f"from={today - dt.timedelta(days=12)}&to={today - dt.timedelta(days=1)}"
    paths = [(editor, "/items"), (editor, f"/codes/{filled['code']}"),
             (editor, f"/videos/{filled['video_id']}"),
             (analyst, f"/analytics/summary?{past}"),
             (analyst, f"/analytics/timeseries?interval=day&{past}"),
             (analyst, f"/analytics/breakdown?by=item&{past}")]
    for item_id in filled["item_ids"]:
        paths += [(editor, f"/items/{item_id}"), (editor, f"/items/{item_id}/codes")]
    found = {}
    for api, path in paths:
        response = api.get(path)
        assert response.status_code == 200, (path, response.get_json())
        found[path] = response.get_json()
    # The list as far as the filled items go: another one is being transcoded meanwhile.
    found["/items"] = [item for item in found["/items"]["items"]
                       if item["id"] in filled["item_ids"]]
    return found


class ScanLoad:
    """Visitors scanning a code through the app, in a thread, written as they come."""

    def __init__(self, app, code: str):
        self.app, self.code = app, code
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.errors: list[BaseException] = []

    def _run(self):
        client, recorder = self.app.test_client(), self.app.extensions["motpub"].scan_recorder
        try:
            while not self.stopping.is_set():
                assert client.get(f"/s/{self.code}").status_code == 200
                recorder.flush()
        except BaseException as error:
            self.errors.append(error)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.stopping.set()
        self.thread.join(timeout=30)
        assert not self.errors, self.errors


def scan_count(app) -> int:
    with app.extensions["motpub"].session_factory() as session:
        return session.scalar(select(func.count(Scan.id)))


def wait_for_scans(app, at_least: int) -> int:
    deadline = dt.datetime.now() + dt.timedelta(seconds=30)
    while (count := scan_count(app)) < at_least:
        assert dt.datetime.now() < deadline, "the scans stopped coming"
    return count


def item_slugs(app) -> list[str]:
    with app.extensions["motpub"].session_factory() as session:
        return sorted(session.scalars(select(Item.slug)))


def objects(storage) -> dict[str, bytes]:
    return {key: storage.get_bytes(key) for key in storage.list_keys("")}


class Transcoding:
    """A worker transcoding a longer clip in a thread, from the moment its job is running."""

    def __init__(self, app, clip: Path):
        client = app.test_client()
        api = Api(client, add_user(app, "editor2@example.org", "editor"))
        self.plan = upload(api, client, api.create_item(slug="long")["id"], clip.read_bytes())
        complete(api, self.plan)
        self.app, self.outcomes = app, []
        self.thread = threading.Thread(target=lambda: self.outcomes.extend(run_jobs(app)),
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = dt.datetime.now() + dt.timedelta(seconds=60)
        while self.job_status() is not JobStatus.RUNNING:
            assert dt.datetime.now() < deadline and self.thread.is_alive(), self.outcomes
        return self

    def job_status(self):
        with self.app.extensions["motpub"].session_factory() as session:
            return session.scalar(select(TranscodeJob.status).where(
                TranscodeJob.video_id == self.plan["video_id"]))

    def __exit__(self, *_exc):
        self.thread.join(timeout=300)
        assert self.outcomes == ["ready"]


def test_backup_under_load_restores_the_same_answers_and_media_byte_for_byte(
        deployments, tmp_path, clip):
    source, target = deployments
    app = source.start()
    (source.settings.data_dir / "secret_key").write_text("k" * 64 + "\n")
    filled = fill(app, clip)
    expected = answers(app, filled)
    video = expected[f"/videos/{filled['video_id']}"]
    assert video["status"] == "ready" and video["captions"] and video["renditions"]
    summaries = [value for path, value in expected.items() if "summary" in path]
    assert summaries[0]["scans"] == 40
    backup_dir = tmp_path / "backup"
    long_clip = make_clip(tmp_path / "long.mp4", seconds=20, size="640x360")
    with Transcoding(app, long_clip) as transcoding, ScanLoad(app, filled["code"]):
        before = wait_for_scans(app, scan_count(app) + 5)
        result = source.invoke("backup", str(backup_dir))
        after = wait_for_scans(app, scan_count(app) + 5)
        # The backup caught the transcode half way, which the restored deployment redoes.
        assert transcoding.job_status() is JobStatus.RUNNING
    assert result.exit_code == 0, result.output
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    backed_up = {entry["key"] for entry in manifest["objects"]}
    source_objects = {key: data for key, data in objects(source.storage).items()
                      if key in backed_up}
    assert sorted(backed_up) == sorted(source_objects)
    assert any(key.endswith(".m4s") for key in source_objects)
    assert any(key.endswith(".vtt") for key in source_objects)

    target.start()
    result = target.invoke("restore", str(backup_dir))
    assert result.exit_code == 0, result.output

    assert answers(target.app, filled) == expected
    assert objects(target.storage) == source_objects
    assert before <= scan_count(target.app) <= after
    # The queue was not backed up: once the job's lease has run out (moved into the past
    # here, not waited for), the sweeper hands the
    # interrupted transcode out again from its row, and it finishes on the restored side.
    with target.app.extensions["motpub"].session_factory() as session, session.begin():
        session.execute(update(TranscodeJob).where(TranscodeJob.status == JobStatus.RUNNING)
                        .values(lease_expires_at=utcnow() - dt.timedelta(seconds=1)))
    result = target.invoke("jobs", "sweep")
    assert result.exit_code == 0 and result.output.split() != [], result.output
    assert run_jobs(target.app) == ["ready"]
    restored_video = Api(target.app.test_client(), filled["editor"]).get(
        f"/videos/{transcoding.plan['video_id']}").get_json()
    assert restored_video["status"] == "ready"
    if source.settings.is_embedded:
        assert (target.settings.data_dir / "secret_key").read_text() == "k" * 64 + "\n"
        assert (target.settings.data_dir / "secret_key").stat().st_mode & 0o077 == 0


def small_deployment(root: Path, **changes) -> Deployment:
    """A SQLite deployment with an item, a code and a few media objects, started."""
    deployment = Deployment(_sqlite_file(root, migrated=True).replace(**changes))
    app = deployment.start()
    api = Api(app.test_client(), add_user(app, "editor@example.org", "editor"))
    api.published_item_with_code()
    deployment.storage.put_bytes("videos/1/vabc/master.m3u8", b"#EXTM3U\n")
    deployment.storage.put_bytes("videos/1/vabc/360p/seg_00001.m4s", bytes(range(256)) * 40)
    deployment.storage.put_bytes("sources/1/xyz/clip.mp4", b"\x00\x01" * 5000)
    (root / "secret_key").write_text("s" * 64 + "\n")
    return deployment


@pytest.fixture
def backed_up(tmp_path):
    source = small_deployment(tmp_path / "source")
    result = source.invoke("backup", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    target = Deployment(_sqlite_file(tmp_path / "target", migrated=False))
    target.start()
    yield source, target, tmp_path / "backup"
    source.stop()
    target.stop()


def _flip_one_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damaged", ["media/videos/1/vabc/360p/seg_00001.m4s",
                                     "database.sqlite3", "secret_key"])
def test_restore_of_a_backup_with_one_byte_changed_refuses_and_writes_nothing(backed_up,
                                                                               damaged):
    _source, target, backup_dir = backed_up
    _flip_one_byte(backup_dir / damaged, 1000 if damaged != "secret_key" else 3)
    result = target.invoke("restore", str(backup_dir))
    assert result.exit_code == 1
    assert "damaged" in result.output and "SHA-256 does not match" in result.output
    data_dir = target.settings.data_dir
    assert not (data_dir / "motpub.db").exists()
    assert not (data_dir / "secret_key").exists()
    assert target.storage.list_keys("") == []


def test_restore_refuses_a_backup_at_a_revision_the_migrations_do_not_know(tmp_path):
    # As a backup made by another motpub: `motpub db upgrade` could not start from it.
    source = small_deployment(tmp_path / "source")
    with source.app.extensions["motpub"].engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffff0000ffff'"))
    result = source.invoke("backup", str(tmp_path / "backup"))
    source.stop()
    assert result.exit_code == 0, result.output
    target = Deployment(_sqlite_file(tmp_path / "target", migrated=False))
    target.start()
    result = target.invoke("restore", str(tmp_path / "backup"))
    assert result.exit_code == 1
    assert "ffff0000ffff" in result.output and "do not know" in result.output
    assert not (target.settings.data_dir / "motpub.db").exists()
    assert target.storage.list_keys("") == []
    target.stop()


def test_restore_refuses_a_deployment_with_tables_or_objects_unless_forced(backed_up,
                                                                           tmp_path):
    source, _target, backup_dir = backed_up
    used = small_deployment(tmp_path / "used")
    api = Api(used.app.test_client(), add_user(used.app, "other@example.org", "editor"))
    api.create_item(slug="only-here")
    before = objects(used.storage)
    result = used.invoke("restore", str(backup_dir))
    assert result.exit_code == 1 and "not empty" in result.output
    assert api.get("/items/2").status_code == 200 and objects(used.storage) == before

    used.storage.put_bytes("videos/9/extra.txt", b"left over")
    result = used.invoke("restore", "--force", str(backup_dir))
    assert result.exit_code == 0, result.output
    assert objects(used.storage) == objects(source.storage)
    assert item_slugs(used.app) == item_slugs(source.app)
    assert "only-here" not in item_slugs(used.app)
    assert api.get("/items").status_code == 401  # its user was not in the backup
    used.stop()


def test_restore_refuses_an_empty_database_beside_storage_that_has_objects(backed_up):
    _source, target, backup_dir = backed_up
    target.storage.put_bytes("videos/9/stray.txt", b"stray")
    result = target.invoke("restore", str(backup_dir))
    assert result.exit_code == 1 and "not empty" in result.output
    assert not (target.settings.data_dir / "motpub.db").exists()


def test_a_file_storage_backup_restores_into_s3_by_key(backed_up, tmp_path, monkeypatch,
                                                         s3_endpoint_url):
    source, _target, backup_dir = backed_up
    if not os.environ.get("MOTPUB_TEST_S3_ENDPOINT_URL"):
        use_moto_credentials(monkeypatch, tmp_path)
    bucket = os.environ.get("MOTPUB_TEST_S3_BUCKET", "motpub-test")
    ensure_bucket(endpoint_url := s3_endpoint_url, bucket)
    on_s3 = Deployment(_sqlite_file(tmp_path / "on-s3", migrated=False).replace(
        storage_url=f"s3://{bucket}/restored/{uuid.uuid4().hex}", s3_endpoint_url=endpoint_url))
    on_s3.start()
    try:
        result = on_s3.invoke("restore", str(backup_dir))
        assert result.exit_code == 0, result.output
        assert objects(on_s3.storage) == objects(source.storage)
    finally:
        on_s3.stop()


def test_a_video_deleted_during_a_backup_is_left_out_whole_instead_of_missing_its_files(
        tmp_path, clip):
    deployment = Deployment(_sqlite_file(tmp_path / "source", migrated=True))
    app = deployment.start()
    client = app.test_client()
    api = Api(client, add_user(app, "editor@example.org", "editor"))
    item = api.create_item()
    kept, doomed = (upload(api, client, item["id"], clip.read_bytes()) for _ in range(2))
    complete(api, kept)
    complete(api, doomed)
    assert run_jobs(app) == ["ready", "ready"]
    deleted = []

    def delete_the_video():
        # Between the first snapshot, which still has the video, and the media copy.
        assert api.delete(f"/videos/{doomed['video_id']}").status_code == 204
        deleted.append(doomed["video_id"])

    runtime = app.extensions["motpub"]
    summary = create_backup(tmp_path / "backup", engine=runtime.engine,
                            storage=runtime.storage, on_snapshot=delete_the_video)
    deployment.stop()
    assert deleted and summary.attempts == 2
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    keys = [entry["key"] for entry in manifest["objects"]]
    assert not [key for key in keys if key.split("/")[1] == str(doomed["video_id"])]
    assert [key for key in keys if key.startswith(f"videos/{kept['video_id']}/")]

    target = Deployment(_sqlite_file(tmp_path / "target", migrated=False))
    target.start()
    result = target.invoke("restore", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    target_api = Api(target.app.test_client(), api.headers["Authorization"].split()[1])
    assert target_api.get(f"/videos/{doomed['video_id']}").status_code == 404
    assert target_api.get(f"/videos/{kept['video_id']}").get_json()["status"] == "ready"
    target.stop()


def test_an_object_missing_before_the_backup_is_reported_and_the_backup_still_made(
        tmp_path, clip):
    deployment = Deployment(_sqlite_file(tmp_path / "source", migrated=True))
    app = deployment.start()
    client = app.test_client()
    api = Api(client, add_user(app, "editor@example.org", "editor"))
    plan = upload(api, client, api.create_item()["id"], clip.read_bytes())
    complete(api, plan)
    assert run_jobs(app) == ["ready"]
    with app.extensions["motpub"].session_factory() as session:
        poster_key = session.get(Video, plan["video_id"]).poster_key
    deployment.storage.delete(poster_key)
    result = deployment.invoke("backup", str(tmp_path / "backup"))
    deployment.stop()
    assert result.exit_code == 0, result.output
    assert poster_key in result.output and "already missing" in result.output
    assert (tmp_path / "backup" / "manifest.json").is_file()


def test_a_backup_into_the_media_directory_is_refused_before_it_copies_itself(tmp_path):
    deployment = small_deployment(tmp_path / "source")
    inside = tmp_path / "source" / "media" / "backups" / "today"
    result = deployment.invoke("backup", str(inside))
    deployment.stop()
    assert result.exit_code == 1 and "inside the media storage" in result.output
    assert not inside.exists()


def test_a_failed_backup_leaves_the_empty_directory_it_was_given_empty(tmp_path):
    deployment = small_deployment(tmp_path / "source")
    runtime = deployment.app.extensions["motpub"]
    (given := tmp_path / "given").mkdir()

    def fail():
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        create_backup(given, engine=runtime.engine, storage=runtime.storage, on_snapshot=fail)
    deployment.stop()
    assert given.is_dir() and list(given.iterdir()) == []


@pytest.fixture
def own_postgres_url(postgres_url):
    """A migrated PostgreSQL database of this test's own, dropped after it."""
    url = f"{postgres_url}_own"
    name, admin = url.rpartition("/")[2], admin_engine(url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(url, MIGRATIONS)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_restore_into_postgresql_with_tables_is_refused_and_forced_replaces_the_schema(
        own_postgres_url, tmp_path):
    deployment = Deployment(make_settings(tmp_path, own_postgres_url))
    app = deployment.start()
    api = Api(app.test_client(), add_user(app, "editor@example.org", "editor"))
    api.create_item(slug="backed-up")
    deployment.storage.put_bytes("videos/1/v1/master.m3u8", b"#EXTM3U\n")
    result = deployment.invoke("backup", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "backup" / "database.pgdump").read_bytes().startswith(b"PGDMP")
    api.create_item(slug="after-the-backup")

    result = deployment.invoke("restore", str(tmp_path / "backup"))
    assert result.exit_code == 1 and "not empty" in result.output
    assert item_slugs(app) == ["after-the-backup", "backed-up"]

    result = deployment.invoke("restore", "--force", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    assert item_slugs(app) == ["backed-up"]
    assert api.get("/items").get_json()["total"] == 1
    deployment.stop()
