"""The production shape on loopback, as an operator starts it (README, "Production").

Two web nodes (`gunicorn -c gunicorn.conf.py wsgi:app`, two gunicorn workers each), two
`motpub worker` processes, one PostgreSQL and one Redis (the test session's), and moto's S3
server for the bucket. A client uploads through node A, scans through node B, logs in on
both against one rate limit, and then a web node and a worker are killed with SIGKILL in the
middle of an upload and of its transcode: the upload resumes through the surviving node and
the surviving worker takes the job over once its lease runs out. The module's tests share
one cluster and run in their order; the last one kills parts of it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from http.cookiejar import CookieJar
from pathlib import Path

import boto3
import pytest
import redis
from moto.server import ThreadedMotoServer
from sqlalchemy import select

from motpub.database import make_engine, make_session_factory
from motpub.media.models.transcode_job import JobStatus, TranscodeJob
from motpub.media.models.video import Video
from tests.e2e.conftest import PROJECT_ROOT, _free_port, _is_live
from tests.factories import make_clip
from tests.support import csrf_token, empty_database

pytestmark = pytest.mark.cluster

VENV = PROJECT_ROOT / ".venv" / "bin"
BUCKET = "motpub-cluster"
PREFIX = "prod"
SECRET_KEY = "cluster-secret-0123456789abcdef0123456789abcdef"
EMAIL, PASSWORD = "editor@example.org", "bronze-ding-correct-horse"
LEASE_S = 3
STARTUP_S = 45
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1"}


@dataclasses.dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def kill(self) -> None:
        """SIGKILL the process and everything it started (it leads a session of its own)."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def terminate(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL for whatever is left after 20 s."""
        self.terminate()
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)  # any child left behind
        self.popen.wait(timeout=10)

    def tail(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ---\n{text[-3000:]}"


@dataclasses.dataclass
class Cluster:
    a: str  # node A's base URL
    b: str
    token: str
    env: dict
    web: dict[str, Process]
    workers: list[Process]
    s3: object  # boto3 client on moto
    database_url: str

    def logs(self) -> str:
        return "\n".join(p.tail() for p in [*self.web.values(), *self.workers])


def http(method: str, url: str, *, body: bytes | None = None, headers: dict | None = None,
         opener=None, timeout: float = 10) -> tuple[int, dict, bytes]:
    """One request; an HTTP error status is an answer, not an exception."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with (opener.open if opener else urllib.request.urlopen)(request,
                                                                 timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def api(cluster: Cluster, node: str, method: str, path: str,
        payload: dict | None = None) -> tuple[int, dict]:
    status, _headers, body = http(
        method, f"{node}/api/v1{path}",
        body=json.dumps(payload).encode() if payload is not None else None,
        headers={"Authorization": f"Bearer {cluster.token}",
                 "Content-Type": "application/json"})
    return status, json.loads(body) if body else {}


def wait_for(predicate: Callable[[], object], *, timeout_s: float, what: str,
             cluster: Cluster | None = None, every_s: float = 0.1):
    deadline = time.monotonic() + timeout_s
    while True:
        if value := predicate():
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}\n"
                                 + (cluster.logs() if cluster else ""))
        time.sleep(every_s)


def start(name: str, args: list[str], env: dict, root: Path) -> Process:
    log = root / f"{name}.log"
    with open(log, "wb") as out:
        popen = subprocess.Popen(args, env=env, cwd=PROJECT_ROOT, stdout=out,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 start_new_session=True)
    return Process(name, popen, log)


def cli(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run([str(VENV / "motpub"), *args], input=stdin, env=env,
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"motpub {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def s3_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        client.create_bucket(Bucket=BUCKET)
        yield endpoint, client
    finally:
        server.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, postgres_url, redis_server, s3_server) -> Iterator[Cluster]:
    """The whole shape, for the module's tests in their order: the last one kills parts."""
    endpoint, s3 = s3_server
    tmp_path = tmp_path_factory.mktemp("cluster")
    redis_url = redis_server
    redis.Redis.from_url(redis_url).flushdb()
    ports = {"a": _free_port(), "b": _free_port()}
    base = {name: value for name, value in os.environ.items()
            if not name.startswith(("MOTPUB_", "GUNICORN_"))}
    base.update(
        CREDENTIALS, PYTHONUNBUFFERED="1",
        MOTPUB_DATABASE_URL=postgres_url, MOTPUB_QUEUE_URL=redis_url,
        MOTPUB_STORAGE_URL=f"s3://{BUCKET}/{PREFIX}", MOTPUB_S3_ENDPOINT_URL=endpoint,
        MOTPUB_SECRET_KEY=SECRET_KEY, MOTPUB_PUBLIC_URL=f"http://127.0.0.1:{ports['a']}",
        MOTPUB_JOB_LEASE_S=str(LEASE_S), MOTPUB_LOGIN_RATE_LIMIT="10 per minute")
    processes: list[Process] = []
    web: dict[str, Process] = {}
    try:
        cli(base | {"MOTPUB_DATA_DIR": str(tmp_path / "ops")}, "db", "upgrade")
        for name, port in ports.items():
            env = base | {"MOTPUB_DATA_DIR": str(tmp_path / f"web-{name}"),
                          "MOTPUB_BIND": f"127.0.0.1:{port}", "MOTPUB_WEB_WORKERS": "2",
                          "MOTPUB_WEB_THREADS": "4"}
            web[name] = start(f"web-{name}", [str(VENV / "gunicorn"), "-c", "gunicorn.conf.py",
                                              "wsgi:app"], env, tmp_path)
            processes.append(web[name])
        workers = []
        for number in (1, 2):
            scratch = tmp_path / f"worker-{number}"
            scratch.mkdir()
            env = base | {"MOTPUB_DATA_DIR": str(scratch), "TMPDIR": str(scratch)}
            workers.append(start(f"worker-{number}", [str(VENV / "motpub"), "worker"], env,
                                 tmp_path))
            processes.append(workers[-1])
        ops = base | {"MOTPUB_DATA_DIR": str(tmp_path / "ops")}
        cli(ops, "users", "create", EMAIL, "--role", "editor", "--password-stdin",
            stdin=PASSWORD + "\n")
        token = cli(ops, "tokens", "create", EMAIL).strip().split()[-1]
        cluster = Cluster(a=f"http://127.0.0.1:{ports['a']}", b=f"http://127.0.0.1:{ports['b']}",
                          token=token, env=base, web=web, workers=workers, s3=s3,
                          database_url=postgres_url)
        for node in (cluster.a, cluster.b):
            wait_for(lambda node=node: _is_live(node), timeout_s=STARTUP_S,
                     what=f"{node}/livez", cluster=cluster, every_s=0.2)
        for worker in workers:
            assert worker.popen.poll() is None, worker.tail()
        yield cluster
    finally:
        for process in processes:  # all asked at once, then waited for
            process.terminate()
        for process in processes:
            process.stop()
        empty_database(postgres_url)
        redis.Redis.from_url(redis_url).flushdb()


def job_of(database_url: str, video_id: int) -> TranscodeJob | None:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            return session.scalars(select(TranscodeJob).where(TranscodeJob.video_id == video_id)
                                   .order_by(TranscodeJob.id.desc())).first()
    finally:
        engine.dispose()


def start_upload(cluster: Cluster, node: str, item_id: int, clip: Path) -> dict:
    status, answer = api(cluster, node, "POST", f"/items/{item_id}/videos", {
        "language": None, "filename": clip.name, "size_bytes": clip.stat().st_size,
        "content_type": "video/mp4"})
    assert status == 201, answer
    return answer


def put_part(upload: dict, clip: Path, number: int) -> dict:
    """PUT one part straight to its presigned bucket URL; the part's number and ETag."""
    size = upload["upload"]["part_size_bytes"]
    [part] = [p for p in upload["upload"]["parts"] if p["number"] == number]
    with open(clip, "rb") as file:
        file.seek((number - 1) * size)
        data = file.read(size)
    assert "X-Amz-Signature=" in part["url"]  # presigned by the bucket, not the app's own
    # A content type of its own: urllib's default (a form) would be parsed by moto's server.
    status, headers, _body = http("PUT", part["url"], body=data,
                                  headers={"Content-Type": "application/octet-stream"})
    assert status == 200, (status, _body)
    return {"number": number, "etag": headers["ETag"]}


def complete(cluster: Cluster, node: str, upload: dict, parts: list[dict]) -> dict:
    # complete_url is on MOTPUB_PUBLIC_URL; the load balancer may send it to any node.
    path = urllib.parse.urlsplit(upload["upload"]["complete_url"]).path
    status, answer = api(cluster, node, "POST", path.removeprefix("/api/v1"),
                         {"parts": parts})
    assert status == 202, answer
    return answer


def ready_video(cluster: Cluster, node: str, video_id: int, timeout_s: float) -> dict:
    def ready():
        status, video = api(cluster, node, "GET", f"/videos/{video_id}")
        assert status == 200 and video["status"] != "failed", video
        return video if video["status"] == "ready" else None

    return wait_for(ready, timeout_s=timeout_s, what=f"video {video_id} to be ready",
                    cluster=cluster, every_s=0.3)


def check_published_objects(cluster: Cluster, video_id: int) -> list[str]:
    """Every object the master playlist names is in the bucket, and only one version of the
    video is: nothing half-written by a killed worker is left. The rendition names."""
    engine = make_engine(cluster.database_url)
    try:
        with make_session_factory(engine)() as session:
            video = session.get(Video, video_id)
            master_key, version = video.master_key, video.version
            names = sorted(r.name for r in video.renditions)
    finally:
        engine.dispose()
    keys = set()
    for page in cluster.s3.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix=f"{PREFIX}/videos/{video_id}/"):
        keys |= {entry["Key"] for entry in page.get("Contents", [])}
    versions = {key.split("/")[3] for key in keys}
    assert versions == {version.rstrip("/").rsplit("/", 1)[1]}, versions
    assert master_key.startswith(version)

    def read(key: str) -> str:
        return cluster.s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{key}")["Body"].read().decode()

    master = read(master_key)
    playlists = [line for line in master.splitlines() if line and not line.startswith("#")]
    assert len(playlists) == len(names) >= 1, master
    for uri in playlists:
        playlist = read(version + uri)
        folder = version + uri.rsplit("/", 1)[0] + "/"
        media = [line for line in playlist.splitlines() if line and not line.startswith("#")]
        media += re.findall(r'#EXT-X-MAP:URI="([^"]+)"', playlist)
        assert media and "#EXT-X-ENDLIST" in playlist, playlist
        for name in media:
            assert f"{PREFIX}/{folder}{name}" in keys, f"{folder}{name} is missing"
    return names


def failed_logins(node: str, count: int) -> list[int]:
    """`count` logins with a wrong password, as a browser sends them: the statuses."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(CookieJar()))
    statuses = []
    for _ in range(count):
        status, _headers, page = http("GET", f"{node}/studio/login", opener=opener)
        assert status == 200
        form = urllib.parse.urlencode({"email": EMAIL, "password": "not-the-password-at-all",
                                       "csrf_token": csrf_token(page.decode())}).encode()
        status, _headers, _body = http(
            "POST", f"{node}/studio/login", body=form, opener=opener,
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        statuses.append(status)
    return statuses


def item_with_code(cluster: Cluster, slug: str) -> tuple[dict, dict]:
    """A draft item and its code, made through node A."""
    status, item = api(cluster, cluster.a, "POST", "/items", {
        "slug": slug, "title": {"zh": "青铜鼎", "en": "Bronze ding"}})
    assert status == 201, item
    status, code = api(cluster, cluster.a, "POST", f"/items/{item['id']}/codes",
                       {"label": "hall 1"})
    assert status == 201, code
    return item, code


def test_an_upload_through_one_node_is_served_by_the_other_within_a_second_of_publishing(
        cluster, tmp_path):
    a, b = cluster.a, cluster.b
    item, code = item_with_code(cluster, "bronze-ding")

    # A video uploaded through A, part by part to the bucket; either worker transcodes it.
    clip = make_clip(tmp_path / "short.mp4", seconds=2, size="320x180")
    upload = start_upload(cluster, a, item["id"], clip)
    parts = [put_part(upload, clip, part["number"]) for part in upload["upload"]["parts"]]
    complete(cluster, a, upload, parts)
    ready_video(cluster, b, upload["video_id"], timeout_s=60)
    check_published_objects(cluster, upload["video_id"])

    # A draft's code answers 404 on B; published through A, B serves it within a second.
    status, _headers, _page = http("GET", f"{b}/s/{code['code']}")
    assert status == 404
    status, published = api(cluster, a, "POST", f"/items/{item['id']}/publish")
    assert status == 200, published

    def scanned_on_b():
        status, _headers, page = http("GET", f"{b}/s/{code['code']}")
        return page.decode() if status == 200 else None

    page = wait_for(scanned_on_b, timeout_s=1, what="the published item on node B",
                    cluster=cluster, every_s=0.05)
    assert "Bronze ding" in page or "青铜鼎" in page
    assert '<video id="player"' in page and f'data-video="{upload["video_id"]}"' in page
    hls_url = re.search(r'data-hls="([^"]+)"', page).group(1).replace("&amp;", "&")
    status, _headers, master = http("GET", urllib.parse.urljoin(b, hls_url))
    assert status == 200 and master.startswith(b"#EXTM3U"), (status, master[:200])
    status, videos = api(cluster, b, "GET", f"/items/{item['id']}/videos")
    assert [v["status"] for v in videos["videos"]] == ["ready"]
    assert videos["videos"][0]["renditions"]


def test_both_nodes_count_logins_against_one_rate_limit(cluster):
    statuses = failed_logins(cluster.a, 6) + failed_logins(cluster.b, 6)
    assert sum(status != 429 for status in statuses) == 10, statuses  # 10 per minute
    assert statuses[-2:] == [429, 429], statuses


def test_a_web_node_killed_mid_upload_and_a_worker_killed_mid_transcode_lose_nothing(
        cluster, tmp_path):
    a, b = cluster.a, cluster.b
    item, code = item_with_code(cluster, "bronze-ding-kills")
    status, published = api(cluster, a, "POST", f"/items/{item['id']}/publish")
    assert status == 200, published

    # A longer video (lossless, so two parts, and a ladder that takes seconds): node A is
    # killed after the first part...
    long_clip = make_clip(tmp_path / "long.mp4", seconds=30, size="640x360",
                          extra=("-qp", "0"))
    upload = start_upload(cluster, a, item["id"], long_clip)
    video_id = upload["video_id"]
    numbers = [part["number"] for part in upload["upload"]["parts"]]
    assert len(numbers) >= 2, upload
    put_part(upload, long_clip, numbers[0])
    cluster.web["a"].kill()
    assert not _is_live(a)

    # ...and the upload resumes through B: the parts it has, the missing ones, complete.
    status, received = api(cluster, b, "GET", f"/videos/{video_id}/parts")
    assert status == 200 and [p["number"] for p in received["parts"]] == numbers[:1], received
    parts = [{"number": p["number"], "etag": p["etag"]} for p in received["parts"]]
    parts += [put_part(upload, long_clip, number) for number in numbers[1:]]
    complete(cluster, b, upload, parts)

    # The worker holding the job is killed in the middle of the ladder (the stage is seen
    # at its heartbeats, every third of the lease), its first playable version stored...
    def in_the_ladder():
        job = job_of(cluster.database_url, video_id)
        return job if (job and job.status is JobStatus.RUNNING and job.stage == "ladder"
                       and job.worker_id) else None

    job = wait_for(in_the_ladder, timeout_s=60, what="a worker in the ladder", cluster=cluster,
                   every_s=0.05)
    holder_pid = int(job.worker_id.split(":")[-2])
    [holder] = [w for w in cluster.workers if w.popen.pid == holder_pid]
    [survivor] = [w for w in cluster.workers if w is not holder]
    holder.kill()
    status, video = api(cluster, b, "GET", f"/videos/{video_id}")
    assert video["status"] != "ready" and video["hls_url"] is None

    # ...and the other takes the job over once the lease runs out, and publishes it whole.
    video = ready_video(cluster, b, video_id, timeout_s=90)
    job = job_of(cluster.database_url, video_id)
    # (A third attempt would mean a heartbeat of the survivor came too late on a busy machine.)
    assert job.status is JobStatus.SUCCEEDED and job.attempts >= 2
    assert int(job.worker_id.split(":")[-2]) == survivor.popen.pid
    names = check_published_objects(cluster, video_id)
    assert sorted(r["name"] for r in video["renditions"]) == names
    status, _headers, page = http("GET", f"{b}/s/{code['code']}")
    assert status == 200 and f'data-video="{video_id}"' in page.decode()
    assert survivor.popen.poll() is None and cluster.web["b"].popen.poll() is None
