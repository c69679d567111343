"""Real worker processes: one killed mid-transcode, and two sharing one Redis queue."""

from __future__ import annotations

import datetime
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from motpub.app import create_app
from motpub.config import PROJECT_ROOT, Settings
from motpub.database import upgrade
from motpub.media.models.transcode_job import JobStatus, TranscodeJob
from motpub.media.models.video import Video, VideoStatus
from tests.factories import add_user, Api, complete, make_clip, upload
from tests.support import empty_database

SECRET = "worker-test-secret-0123456789abcdefghijkl"


def start_worker(env: dict, *, threads: int = 1) -> subprocess.Popen:
    # A session of its own, so the worker and its ffmpeg children can be killed together.
    return subprocess.Popen([sys.executable, "-m", "motpub", "worker", "--workers", str(threads)],
                            env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    process.wait(timeout=60)


def wait_for(predicate, *, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def environment(tmp_path: Path, **extra: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MOTPUB_")}
    env.update({"MOTPUB_DATA_DIR": str(tmp_path), "MOTPUB_PUBLIC_URL": "http://motpub.test",
                "MOTPUB_SECRET_KEY": SECRET, **extra})
    return env


def test_a_worker_killed_mid_transcode_is_replaced_and_nothing_half_published(tmp_path):
    env = environment(tmp_path, MOTPUB_JOB_LEASE_S="2")
    settings = Settings.from_env(env)
    upgrade(settings.database_url, str(PROJECT_ROOT / "migrations"))
    app = create_app(settings)
    runtime = app.extensions["motpub"]
    client = app.test_client()
    api = Api(client, add_user(app, "editor@example.org", "editor"))
    clip = make_clip(tmp_path / "long.mp4", seconds=12, size="854x480",
                     extra=("-vf", "noise=alls=20:allf=t"))
    item = api.create_item()
    plan = upload(api, client, item["id"], clip.read_bytes())
    complete(api, plan)

    def job():
        with runtime.session_factory() as session:
            return session.query(TranscodeJob).filter_by(video_id=plan["video_id"]).one()

    first = start_worker(env)
    try:
        wait_for(lambda: job().stage == "ladder" and job().progress > 0.15, timeout_s=120,
                 what="the first worker to be in the middle of the ladder")
    finally:
        stop(first, signal.SIGKILL)
    with runtime.session_factory() as session:
        video = session.get(Video, plan["video_id"])
        assert video.status is not VideoStatus.READY and video.master_key is None

    # The dead worker's lease runs out: moved into the past rather than waited for.
    with runtime.session_factory() as session, session.begin():
        session.get(TranscodeJob, job().id).lease_expires_at = (
            datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1))
    swept = subprocess.run([sys.executable, "-m", "motpub", "jobs", "sweep"], env=env,
                           capture_output=True, text=True, timeout=60)
    assert swept.stdout.split() == [str(job().id)]
    second = start_worker(env)
    try:
        wait_for(lambda: job().status is JobStatus.SUCCEEDED, timeout_s=240,
                 what="the second worker to finish the job")
    finally:
        stop(second)
    assert job().attempts == 2
    video = api.get(f"/videos/{plan['video_id']}").get_json()
    assert video["status"] == "ready" and len(video["renditions"]) == 2
    versions = {key.split("/")[2] for key in runtime.storage.list_keys(f"videos/{video['id']}/")}
    assert len(versions) == 1, "the killed worker's half-written version was removed"
    # Every object the published master playlist names is in place.
    # The item is a draft: its URL carries a signed token before the key.
    key = re.sub(r"^~[^/]+/", "", video["hls_url"].removeprefix("http://motpub.test/media/"))
    base = key.rsplit("/", 1)[0]
    master = client.get(video["hls_url"].removeprefix("http://motpub.test"), buffered=True).text
    for uri in (line for line in master.splitlines() if line and not line.startswith("#")):
        playlist = runtime.storage.get_bytes(f"{base}/{uri}").decode()
        folder = f"{base}/{uri.rsplit('/', 1)[0]}"
        for name in (line for line in playlist.splitlines() if line and not line.startswith("#")):
            assert runtime.storage.exists(f"{folder}/{name}")
    runtime.engine.dispose()


@pytest.fixture
def clean_postgres_url(postgres_url):
    """The shared test database, emptied afterwards like the database_url fixture does."""
    yield postgres_url
    empty_database(postgres_url)


def test_two_workers_on_one_redis_run_each_job_exactly_once(tmp_path, clean_postgres_url,
                                                             redis_url):
    env = environment(tmp_path, MOTPUB_DATABASE_URL=clean_postgres_url,
                      MOTPUB_QUEUE_URL=redis_url)
    app = create_app(Settings.from_env(env))
    runtime = app.extensions["motpub"]
    client = app.test_client()
    api = Api(client, add_user(app, "editor@example.org", "editor"))
    clip = make_clip(tmp_path / "short.mp4", seconds=2, size="160x90")
    item = api.create_item()
    video_ids = []
    for _ in range(6):
        plan = upload(api, client, item["id"], clip.read_bytes(), language=None)
        complete(api, plan)
        video_ids.append(plan["video_id"])

    def jobs():
        with runtime.session_factory() as session:
            return session.query(TranscodeJob).filter(
                TranscodeJob.video_id.in_(video_ids)).all()

    workers = [start_worker(env), start_worker(env)]
    try:
        wait_for(lambda: all(j.status is JobStatus.SUCCEEDED for j in jobs()), timeout_s=240,
                 what="both workers to finish the batch")
    finally:
        for worker in workers:
            stop(worker)
    finished = jobs()
    assert len(finished) == 6
    assert all(job.attempts == 1 for job in finished)
    assert len({job.worker_id.rsplit(":", 1)[0] for job in finished}) == 2
    with runtime.session_factory() as session:
        assert all(session.get(Video, vid).status is VideoStatus.READY for vid in video_ids)
    runtime.engine.dispose()


def child_processes(parent: int, name: str) -> list[int]:
    """The pids of the living children of `parent` whose command is `name` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        command = text[text.index("(") + 1:text.rindex(")")]
        state, ppid = text[text.rindex(")") + 2:].split()[:2]
        if command == name and int(ppid) == parent and state not in ("Z", "X"):
            found.append(int(stat.parent.name))
    return found


def is_running(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return text[text.rindex(")") + 2] not in "ZX"


def test_a_killed_worker_takes_its_ffmpeg_along_and_the_next_worker_sweeps_its_scratch(
        tmp_path):
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    env = environment(tmp_path, MOTPUB_JOB_LEASE_S="2", TMPDIR=str(scratch_root))
    settings = Settings.from_env(env)
    upgrade(settings.database_url, str(PROJECT_ROOT / "migrations"))
    app = create_app(settings)
    runtime = app.extensions["motpub"]
    client = app.test_client()
    api = Api(client, add_user(app, "editor@example.org", "editor"))
    clip = make_clip(tmp_path / "long.mp4", seconds=12, size="854x480",
                     extra=("-vf", "noise=alls=20:allf=t"))
    plan = upload(api, client, api.create_item()["id"], clip.read_bytes())
    complete(api, plan)

    def job():
        with runtime.session_factory() as session:
            return session.query(TranscodeJob).filter_by(video_id=plan["video_id"]).one()

    worker = start_worker(env)
    try:
        # Early in the ladder: its ffmpeg has seconds of work left. (ffmpeg ignores the
        # closed progress pipe of a dead worker and would run to the end.)
        wait_for(lambda: job().stage == "ladder" and job().progress > 0.12, timeout_s=120,
                 what="the worker to be in the ladder")
        [ffmpeg] = child_processes(worker.pid, "ffmpeg")
        os.kill(worker.pid, signal.SIGKILL)  # the worker alone, not its process group
        worker.wait(timeout=10)
        wait_for(lambda: not is_running(ffmpeg), timeout_s=2,
                 what="ffmpeg to die with its worker")
    finally:
        stop(worker, signal.SIGKILL)  # whatever is left of its process group
    [left] = scratch_root.glob("motpub-worker-*")
    assert any(path.is_file() for path in left.rglob("*")), "the transcode's files were there"
    unrelated = scratch_root / "motpub-worker-notes"
    unrelated.mkdir()

    second = start_worker(env)
    try:
        wait_for(lambda: not left.exists(), timeout_s=30,
                 what="the next worker to remove the dead worker's scratch folder")
        assert unrelated.exists()
        [own] = scratch_root.glob("motpub-worker-*[0-9]")
        assert own.name.startswith(f"motpub-worker-{second.pid}-")
    finally:
        stop(second)
    assert not own.exists(), "a worker that stops cleanly removes its scratch folder"
    runtime.engine.dispose()


def test_a_worker_stopped_while_it_starts_still_removes_its_scratch_folder(tmp_path):
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    env = environment(tmp_path, TMPDIR=str(scratch_root))
    upgrade(Settings.from_env(env).database_url, str(PROJECT_ROOT / "migrations"))
    for _attempt in range(3):
        worker = start_worker(env)
        try:
            # Stopped the moment its folder exists: before the queue consumer has started.
            deadline = time.monotonic() + 30
            while not list(scratch_root.glob("motpub-worker-*")):
                assert time.monotonic() < deadline, "the worker made no scratch folder"
                time.sleep(0.001)
        finally:
            stop(worker)
        assert worker.returncode != -signal.SIGTERM, "SIGTERM killed it without its exit hooks"
        assert not list(scratch_root.glob("motpub-worker-*"))


def test_a_running_worker_hands_out_a_dead_workers_job_soon_after_its_lease_runs_out(tmp_path):
    # Not at the next minute: huey's periodic tasks run once a minute at best.
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    env = environment(tmp_path, MOTPUB_JOB_LEASE_S="2", TMPDIR=str(scratch_root))
    settings = Settings.from_env(env)
    upgrade(settings.database_url, str(PROJECT_ROOT / "migrations"))
    app = create_app(settings)
    runtime = app.extensions["motpub"]
    client = app.test_client()
    api = Api(client, add_user(app, "editor@example.org", "editor"))
    item = api.create_item()
    plan = upload(api, client, item["id"], make_clip(tmp_path / "clip.mp4", seconds=1,
                                                     size="160x90").read_bytes())
    complete(api, plan)
    runtime.queue.flush()  # the message is lost with the worker that had taken it
    with runtime.session_factory() as session, session.begin():
        job = session.query(TranscodeJob).filter_by(video_id=plan["video_id"]).one()
        job.status, job.worker_id, job.attempts = JobStatus.RUNNING, "gone:1:dead", 1
        job.lease_expires_at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
        job_id = job.id

    def job():
        with runtime.session_factory() as session:
            return session.get(TranscodeJob, job_id)

    worker = start_worker(env)
    try:
        wait_for(lambda: any(scratch_root.iterdir()), timeout_s=60,
                 what="the worker to start")
        time.sleep(1.5)  # past the worker's first sweep, while the lease still held
        assert job().worker_id == "gone:1:dead"
        with runtime.session_factory() as session, session.begin():
            session.get(TranscodeJob, job_id).lease_expires_at = (
                datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1))
        wait_for(lambda: job().worker_id != "gone:1:dead", timeout_s=10,
                 what="the running worker to take the dead worker's job")
        wait_for(lambda: job().status is JobStatus.SUCCEEDED, timeout_s=120,
                 what="the job to finish")
    finally:
        stop(worker)
    assert job().attempts == 2
    runtime.engine.dispose()


def test_a_worker_process_makes_the_pictures_of_phone_photos_and_a_large_master(
        tmp_path, clean_postgres_url, redis_url):
    import io
    from urllib.parse import urlsplit

    import pillow_heif
    from PIL import Image as Picture

    from motpub.media.models.image import Image
    from motpub.media.models.image_job import ImageJob

    env = environment(tmp_path, MOTPUB_DATABASE_URL=clean_postgres_url,
                      MOTPUB_QUEUE_URL=redis_url)
    app = create_app(Settings.from_env(env))
    runtime = app.extensions["motpub"]
    client = app.test_client()
    api = Api(client, add_user(app, "editor@example.org", "editor"))
    item = api.create_item()
    pillow_heif.register_heif_opener()
    files = []
    for fmt, size, content_type in (("JPEG", (800, 600), "image/jpeg"),
                                    ("HEIF", (640, 480), "image/heic"),
                                    ("PNG", (4500, 400), "image/png")):
        out = io.BytesIO()
        Picture.new("RGB", size, (150, 90, 40)).save(out, format=fmt)
        files.append((out.getvalue(), content_type))
    image_ids = []
    for data, content_type in files:
        created = api.post(f"/items/{item['id']}/images", json={
            "filename": "picture", "size_bytes": len(data), "content_type": content_type})
        plan = created.get_json()
        [part] = plan["upload"]["parts"]
        url = urlsplit(part["url"])
        etag = client.put(f"{url.path}?{url.query}", data=data).headers["ETag"]
        done = api.post(urlsplit(plan["upload"]["complete_url"]).path.removeprefix("/api/v1"),
                        json={"parts": [{"number": 1, "etag": etag}]})
        assert done.status_code == 202, done.get_json()
        image_ids.append(plan["image_id"])

    def jobs():
        with runtime.session_factory() as session:
            return session.query(ImageJob).filter(ImageJob.image_id.in_(image_ids)).all()

    worker = start_worker(env)
    try:
        wait_for(lambda: all(j.status is JobStatus.SUCCEEDED for j in jobs()), timeout_s=120,
                 what="the worker to process the pictures")
    finally:
        stop(worker)
    assert all(job.attempts == 1 for job in jobs())
    with runtime.session_factory() as session:
        images = [session.get(Image, image_id) for image_id in image_ids]
        assert [(image.width, image.height) for image in images] == [
            (800, 600), (640, 480), (4500, 400)]
        assert [image.tiles_key is not None for image in images] == [False, False, True]
        assert all(runtime.storage.exists(d["key"]) for image in images
                   for d in image.derivatives)
    runtime.engine.dispose()
