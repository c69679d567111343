"""The real `motpub serve`: what its access log keeps, its rate limits across web workers,
and the queue worker it supervises."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import time
import urllib.error
import urllib.parse
import urllib.request

from pathlib import Path

from tests.e2e.conftest import Server, running_server

SECRET_QUERY = "expires=1999999999&signature=s3cr3t-signature"
AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) ProbeAgent/9.9"
REFERRER = "https://social.example/post?visitor=alice"


def request(server: Server, method: str, path: str, **headers: str) -> int:
    call = urllib.request.Request(f"{server.url}{path}", method=method, headers=headers,
                                  data=b"x" if method == "PUT" else None)
    try:
        with urllib.request.urlopen(call, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def access_lines(server: Server, *markers: str) -> list[str]:
    """The access log's line for each marker, once each has been written (gunicorn writes
    a line after its response)."""
    log_path = server.data_dir.parent / "server.log"
    deadline = time.monotonic() + 10
    while True:
        log = log_path.read_text(errors="replace").splitlines()
        lines = [next((line for line in log if marker in line), None) for marker in markers]
        if all(lines) or time.monotonic() > deadline:
            return lines


def visit(server: Server) -> None:
    request(server, "GET", "/s/no-such-code?utm_source=poster&visitor=alice",
            **{"User-Agent": AGENT, "Referer": REFERRER})
    request(server, "PUT", f"/api/v1/videos/1/parts/1?{SECRET_QUERY}", **{"User-Agent": AGENT})


def test_access_log_keeps_no_address_agent_referrer_or_query_string(tmp_path):
    with running_server(tmp_path) as server:
        visit(server)
        lines = access_lines(server, "/s/no-such-code", "/parts/1")
    assert all(lines), lines
    for line in lines:
        assert "127.0.0.1" not in line
        assert "ProbeAgent" not in line and "iPhone" not in line
        assert "social.example" not in line and "visitor" not in line
        assert "?" not in line and "signature" not in line and "utm_source" not in line
    assert '"GET /s/no-such-code HTTP/1.1" 404' in lines[0]


def test_access_log_full_on_request_keeps_everything(tmp_path):
    with running_server(tmp_path, MOTPUB_ACCESS_LOG_FULL="1") as server:
        visit(server)
        [line] = access_lines(server, "/s/no-such-code")
    assert line and line.startswith("127.0.0.1 ")
    assert "utm_source=poster" in line and "ProbeAgent" in line and "social.example" in line


def login_attempts(server: Server, count: int) -> list[int]:
    """`count` wrong logins, each with a valid CSRF token, on fresh connections (so gunicorn
    hands them to whichever worker accepts first); their statuses."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{server.url}/studio/login", timeout=10) as page:
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          page.read().decode()).group(1)
    statuses = []
    for _ in range(count):
        form = urllib.parse.urlencode({"email": server.email, "password": "wrong password!",
                                       "csrf_token": token}).encode()
        try:
            with opener.open(f"{server.url}/studio/login", data=form, timeout=10) as answer:
                statuses.append(answer.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
    return statuses


def test_login_limit_is_counted_once_across_two_web_workers(tmp_path):
    with running_server(tmp_path, web_workers=2) as server:
        statuses = login_attempts(server, 25)
    assert statuses.count(422) == 10 and statuses.count(429) == 15, statuses


def queue_workers(parent: int) -> list[int]:
    """The living `motpub worker` processes whose parent is `parent`."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text()
            command = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
        if int(ppid) == parent and state not in ("Z", "X") \
                and command[-3:-1] == [b"motpub", b"worker"]:
            found.append(int(proc.name))
    return found


def is_running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def wait_for(predicate, *, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_serve_starts_its_worker_again_and_takes_it_along_when_killed(tmp_path):
    with running_server(tmp_path, queue_worker=True) as server:
        [first] = wait_for(lambda: queue_workers(server.pid), timeout_s=10,
                           what="serve to start its queue worker")
        os.kill(first, signal.SIGKILL)
        [second] = wait_for(lambda: [pid for pid in queue_workers(server.pid) if pid != first],
                            timeout_s=5, what="serve to start another queue worker")
        os.kill(server.pid, signal.SIGKILL)
        wait_for(lambda: not is_running(second), timeout_s=3,
                 what="the queue worker to die with its server")
    log = (tmp_path / "server.log").read_text()
    assert "the queue worker exited with status -9; starting another in 1 s" in log
