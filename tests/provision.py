"""Throwaway PostgreSQL and Redis servers for one test session.

When MOTPUB_TEST_POSTGRES_URL or MOTPUB_TEST_REDIS_URL is not given, the session starts its
own server on a free loopback port in a temporary folder and removes it at the end, so the
suite never depends on services someone else started. PostgreSQL comes from Debian's
`postgresql` package (`/usr/lib/postgresql/<version>/bin`), Redis from `redis-server`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

START_SECONDS = 30


class ProvisionError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def postgres_bindir() -> Path:
    """The newest of Debian's PostgreSQL versions, else the one whose initdb is on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: int(path.split("/")[4]) if path.split("/")[4].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    if initdb := shutil.which("initdb"):
        return Path(initdb).resolve().parent
    raise ProvisionError(
        "the tests start their own PostgreSQL, and its initdb is missing: "
        "`apt-get install postgresql` (./scripts/test does it), or set "
        "MOTPUB_TEST_POSTGRES_URL to a server of yours")


def _server_user() -> tuple[int, int] | None:
    """PostgreSQL refuses to run as root: as root, run it as `postgres` (Debian's package
    creates that user) or else `nobody`. Anyone else runs it as themselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise ProvisionError("running as root, and neither a `postgres` nor a `nobody` user exists "
                         "to run PostgreSQL as")


@dataclass
class Service:
    url: str
    folder: Path
    stop_command: list[str] | None = None
    process: subprocess.Popen | None = None
    as_user: tuple[int, int] | None = None
    log: Path | None = None
    stopped: bool = field(default=False)

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        try:
            if self.stop_command:
                subprocess.run(self.stop_command, **_as(self.as_user), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=30, check=False)
            if self.process is not None and self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _as(user: tuple[int, int] | None) -> dict:
    if user is None:
        return {}
    return {"user": user[0], "group": user[1], "extra_groups": []}


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-3000:]
    except OSError:
        return ""


def start_postgres() -> Service:
    """initdb into a temporary folder (trust auth, fsync off) and start it on a free loopback
    port, its socket in that folder too; the URL names the `postgres` superuser."""
    bindir = postgres_bindir()
    user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="motpub-test-postgres-"))
    if user is not None:
        os.chown(folder, *user)
    data, log = folder / "data", folder / "postgres.log"
    # A clean environment: no PG* variable of the caller's, and a locale that always exists.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8",
           "HOME": str(folder)}
    service = Service(url="", folder=folder, as_user=user, log=log,
                      stop_command=[str(bindir / "pg_ctl"), "--pgdata", str(data),
                                    "--mode", "immediate", "--wait", "stop"])
    try:
        subprocess.run(
            [str(bindir / "initdb"), "--pgdata", str(data), "--username", "postgres",
             "--auth", "trust", "--encoding", "UTF8", "--locale", "C.UTF-8", "--no-sync"],
            **_as(user), env=env, cwd=folder, check=True, capture_output=True, text=True,
            timeout=120)
        for _attempt in range(3):  # another process may take the free port before we bind it
            port = free_port()
            options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                       "-c max_connections=200")
            started = subprocess.run(
                [str(bindir / "pg_ctl"), "--pgdata", str(data), "--log", str(log), "--wait",
                 "--timeout", str(START_SECONDS), "--options", options, "start"],
                **_as(user), env=env, cwd=folder, capture_output=True, text=True,
                timeout=START_SECONDS + 10,
                # Its own session, so a Ctrl-C meant for pytest leaves the server to teardown.
                start_new_session=True)
            if started.returncode == 0:
                service.url = f"postgresql://postgres@127.0.0.1:{port}/motpub_test"
                return service
        raise ProvisionError(f"PostgreSQL did not start:\n{started.stderr}\n{_tail(log)}")
    except subprocess.CalledProcessError as error:
        service.stop()
        raise ProvisionError(f"initdb failed:\n{error.stdout}\n{error.stderr}") from error
    except BaseException:
        service.stop()
        raise


def start_redis() -> Service:
    """redis-server on a free loopback port, nothing kept on disk, its folder a temporary one."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.access(binary, os.X_OK):
        raise ProvisionError(
            "the tests start their own Redis, and redis-server is missing: "
            "`apt-get install redis-server` (./scripts/test does it), or set "
            "MOTPUB_TEST_REDIS_URL to a server of yours")
    folder = Path(tempfile.mkdtemp(prefix="motpub-test-redis-"))
    log = folder / "redis.log"
    for _attempt in range(3):
        port = free_port()
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(folder), "--logfile", str(log),
             "--pidfile", str(folder / "redis.pid"), "--daemonize", "no"],
            cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        service = Service(url=f"redis://127.0.0.1:{port}/0", folder=folder, process=process,
                          log=log)
        deadline = time.monotonic() + START_SECONDS
        while process.poll() is None and time.monotonic() < deadline:
            if _answers(port):
                return service
            time.sleep(0.05)
        if process.poll() is None:
            message = f"redis-server did not answer within {START_SECONDS}s:\n{_tail(log)}"
            service.stop()
            raise ProvisionError(message)
    message = f"redis-server did not start:\n{_tail(log)}"
    service.stop()
    raise ProvisionError(message)


def end_session_on_sigterm() -> None:
    """A SIGTERM (a CI time-out, a `kill`) ends the session as Ctrl-C does, so that the
    servers' teardown still runs; a handler someone else installed is left alone."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        def interrupt(signum, frame):
            raise KeyboardInterrupt(f"signal {signum}")

        signal.signal(signal.SIGTERM, interrupt)
