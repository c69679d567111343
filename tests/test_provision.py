"""The test session's own PostgreSQL and Redis (tests/provision.py): they run on free loopback
ports, not on the machine's 5432 and 6379, and are gone when the session ends, also when it
is interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import redis

from motpub.config import PROJECT_ROOT
from tests import provision


def answers(port: int) -> bool:
    return provision._answers(port)


def test_a_throwaway_postgres_runs_on_its_own_port_without_fsync_and_is_gone_after_stop():
    service = provision.start_postgres()
    try:
        url = urlsplit(service.url)
        assert url.hostname == "127.0.0.1" and url.port not in (None, 5432)
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{url.port}/postgres") as conn:
            assert conn.execute("SHOW fsync").fetchone() == ("off",)
            assert conn.execute("SHOW server_encoding").fetchone() == ("UTF8",)
            assert conn.execute("SELECT current_user").fetchone() == ("postgres",)
    finally:
        service.stop()
    assert not answers(url.port)
    assert not service.folder.exists()


def test_a_throwaway_redis_runs_on_its_own_port_keeps_nothing_and_is_gone_after_stop():
    service = provision.start_redis()
    try:
        url = urlsplit(service.url)
        assert url.hostname == "127.0.0.1" and url.port not in (None, 6379)
        connection = redis.Redis.from_url(service.url)
        assert connection.ping()
        assert connection.config_get("save") == {"save": ""}
        assert connection.config_get("appendonly") == {"appendonly": "no"}
        connection.close()
    finally:
        service.stop()
    assert not answers(url.port)
    assert not service.folder.exists()


INNER_TEST = textwrap.dedent("""
    import os, pathlib, time

    def test_reports_its_servers_and_waits(postgres_server, redis_url):
        pathlib.Path(os.environ["REPORT"]).write_text(postgres_server + " " + redis_url)
        time.sleep(120)
""")


@pytest.mark.parametrize("ending", ["SIGINT", "SIGTERM"])
def test_a_session_without_urls_starts_its_own_servers_and_stops_them_when_interrupted(ending):
    # A folder of our own for the session's temporary files, which PostgreSQL's user (when
    # this runs as root) can reach; afterwards it must be empty again.
    scratch = Path(tempfile.mkdtemp(prefix="motpub-provision-"))
    scratch.chmod(0o755)
    try:
        (scratch / "test_inner.py").write_text(INNER_TEST)
        report = scratch / "report"
        temp = scratch / "tmp"
        temp.mkdir(mode=0o755)
        temp.chmod(0o755)
        env = {key: value for key, value in os.environ.items()
               if key not in ("MOTPUB_TEST_POSTGRES_URL", "MOTPUB_TEST_REDIS_URL")}
        env.update(REPORT=str(report), TMPDIR=str(temp), PYTHONDONTWRITEBYTECODE="1")
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest",
             "-c", str(PROJECT_ROOT / "pyproject.toml"), "--rootdir", str(PROJECT_ROOT),
             "--basetemp", str(scratch / "basetemp"), str(scratch / "test_inner.py")],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True)
        try:
            deadline = time.monotonic() + 120
            while not (report.exists() and report.read_text()) and process.poll() is None:
                assert time.monotonic() < deadline, "the inner session never reached its test"
                time.sleep(0.1)
            process.send_signal(getattr(signal, ending))
            output, _ = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == 2, output  # pytest's "interrupted"
        postgres_url, redis_url = report.read_text().split()
        postgres_port, redis_port = urlsplit(postgres_url).port, urlsplit(redis_url).port
        assert postgres_port != 5432 and redis_port != 6379
        assert not answers(postgres_port), "PostgreSQL is still running"
        assert not answers(redis_port), "Redis is still running"
        assert [path.name for path in temp.iterdir()] == [], "its folders were not removed"
    finally:
        kill_leftovers(scratch)
        subprocess.run(["rm", "-rf", str(scratch)], check=False)


def kill_leftovers(folder: Path) -> None:
    """Servers that outlived a failed inner session, found by their pid files."""
    for pid_file, sig in [*((path, signal.SIGQUIT) for path in folder.rglob("postmaster.pid")),
                          *((path, signal.SIGTERM) for path in folder.rglob("redis.pid"))]:
        try:
            os.kill(int(pid_file.read_text().split()[0]), sig)
        except (OSError, ValueError, IndexError):
            pass
