"""End-to-end fixtures: the real `motpub serve` in a subprocess and headless Chromium.

The server runs exactly as an operator starts it (embedded SQLite in a temporary data
directory, migrations applied by `serve` itself), bound to 127.0.0.1 on a free port. The
browser is Debian's Chromium driven by Playwright; nothing is ever downloaded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MOTPUB = PROJECT_ROOT / ".venv" / "bin" / "motpub"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
EDITOR_EMAIL = "editor@example.org"
EDITOR_PASSWORD = "bronze-ding-correct-horse"
# A ceiling, not a wait: start-up ends the moment /livez answers. A loaded machine can take
# well over 30 s to import and fork the workers.
STARTUP_SECONDS = 120
# How long an expect() waits for its condition. It returns as soon as the condition holds,
# so a generous ceiling costs nothing when things go well, and a busy CI machine is not
# mistaken for a broken page (Playwright's default is 5 s).
EXPECT_TIMEOUT_MS = 30_000


@dataclasses.dataclass(frozen=True)
class Server:
    url: str
    port: int
    data_dir: Path
    env: dict
    email: str
    password: str
    token: str
    pid: int = 0  # of the `motpub serve` process

    def api(self, method: str, path: str, payload: dict | None = None) -> dict:
        """Call the JSON API with the editor's token; return the decoded answer."""
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            f"{self.url}/api/v1{path}", data=data, method=method,
            headers={"Authorization": f"Bearer {self.token}",
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _is_live(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/livez", timeout=2) as response:
            return response.status == 200 and response.read() == b"ok\n"
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _cli(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run([str(MOTPUB), *args], input=stdin, env=env, cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        pytest.fail(f"`motpub {' '.join(args)}` failed ({result.returncode}):\n"
                    f"{result.stdout}\n{result.stderr}")
    return result.stdout


def _api_token(data_dir: Path, email: str, database_url: str | None = None) -> str:
    """A token for the tests' API calls, made in-process to spare one more CLI start-up
    (`motpub tokens create` does the same through the same service)."""
    from motpub.database import make_engine, make_session_factory
    from motpub.accounts.services import create_token, find_user

    engine = make_engine(database_url or f"sqlite:///{data_dir / 'motpub.db'}")
    try:
        with make_session_factory(engine)() as session:
            token = create_token(session, find_user(session, email))
            session.commit()
    finally:
        engine.dispose()
    return token


def stop_process(process: subprocess.Popen, name: str, log_path: Path) -> None:
    """SIGTERM, then wait; a process that does not stop in 30 s is killed and fails the test."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        pytest.fail(f"{name} did not stop within 30s of SIGTERM:\n"
                    f"{log_path.read_text(errors='replace')}")


@contextlib.contextmanager
def running_server(root: Path, *, web_workers: int = 1, queue_worker: bool = False,
                   **settings: str) -> Iterator[Server]:
    """`motpub serve` on a free loopback port with a data directory under `root`, its
    environment's MOTPUB_* replaced by `settings`, and an editor with an API token; with
    `web_workers` gunicorn workers, and its queue worker only if `queue_worker`."""
    if not MOTPUB.exists():
        pytest.fail(f"{MOTPUB} is missing: install the project into .venv first")
    data_dir = root / "data"
    runtime_dir = root / "run"  # gunicorn's control socket goes here, not in ~/.gunicorn
    runtime_dir.mkdir(mode=0o700)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("MOTPUB_", "GUNICORN_"))}
    env.update(MOTPUB_DATA_DIR=str(data_dir), MOTPUB_PUBLIC_URL=url,
               XDG_RUNTIME_DIR=str(runtime_dir), PYTHONUNBUFFERED="1", **settings)
    log_path = root / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(MOTPUB), "serve", *([] if queue_worker else ["--no-worker"]),
             "--host", "127.0.0.1", "--port", str(port), "--workers", str(web_workers)],
            env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _is_live(url):
            if process.poll() is not None:
                pytest.fail(f"motpub serve exited with {process.returncode}:\n"
                            f"{log_path.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                pytest.fail(f"motpub serve did not answer /livez within {STARTUP_SECONDS}s:\n"
                            f"{log_path.read_text(errors='replace')}")
            time.sleep(0.1)
        _cli(env, "users", "create", EDITOR_EMAIL, "--role", "editor", "--password-stdin",
             stdin=EDITOR_PASSWORD + "\n")
        token = _api_token(data_dir, EDITOR_EMAIL, settings.get("MOTPUB_DATABASE_URL"))
        yield Server(url=url, port=port, data_dir=data_dir, env=env, email=EDITOR_EMAIL,
                     password=EDITOR_PASSWORD, token=token, pid=process.pid)
    finally:
        stop_process(process, "motpub serve", log_path)


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    """The embedded default: SQLite and files in a temporary data directory."""
    with running_server(tmp_path_factory.mktemp("e2e-server")) as started:
        yield started


@pytest.fixture(scope="session")
def browser(server):
    # Depends on the server so that Chromium (and its keep-alive connections) is gone
    # before the server is asked to stop: the graceful shutdown then has nothing to wait for.
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"the browser tests need Debian's Chromium at {CHROMIUM} "
                    "(apt-get install chromium); it is missing or not executable")
    for tool in ("zbarimg", "pdftoppm"):
        if shutil.which(tool) is None:
            pytest.fail(f"the browser tests need `{tool}` (apt-get install zbar-tools "
                        "poppler-utils)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
