"""The real `motpub serve`: what its access log keeps, its rate limits across web workers,
and the queue worker it supervises."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

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


def access_lines(server: Server, marker: str) -> list[str]:
    log = (server.data_dir.parent / "server.log").read_text(errors="replace")
    return [line for line in log.splitlines() if marker in line]


def visit(server: Server) -> None:
    request(server, "GET", "/s/no-such-code?utm_source=poster&visitor=alice",
            **{"User-Agent": AGENT, "Referer": REFERRER})
    request(server, "PUT", f"/api/v1/videos/1/parts/1?{SECRET_QUERY}", **{"User-Agent": AGENT})


def test_access_log_keeps_no_address_agent_referrer_or_query_string(tmp_path):
    with running_server(tmp_path) as server:
        visit(server)
        lines = access_lines(server, "/s/no-such-code") + access_lines(server, "/parts/1")
    assert len(lines) == 2, lines
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
    assert line.startswith("127.0.0.1 ")
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
