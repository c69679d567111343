"""How fresh analytics are: a promise kept by real web processes, not by one test client.

Each web process buffers its scans and writes them in groups (services.scans.ScanRecorder),
so a read can miss the scans of the last moments; the API promises that every scan answered
before a read started is counted once the read comes at least a second later. Checked
against `motpub serve` with two web processes, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import _api_token, _cli, running_server
from tests.factories import ANDROID
from tests.support import empty_database

ANALYST_EMAIL = "analyst@example.org"
FRESH_AFTER_S = 1.0
BURSTS, BURST_SIZE, AT_ONCE = 5, 24, 8


def _scan(url: str) -> int:
    # A new connection for every scan, so the two processes take turns accepting them.
    request = urllib.request.Request(url, headers={"User-Agent": ANDROID,
                                                   "Connection": "close"})
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        return response.status


def _scans_counted(server_url: str, token: str) -> int:
    request = urllib.request.Request(f"{server_url}/api/v1/analytics/summary",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["scans"]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> dict:
    """The settings of the server: the embedded SQLite, or the test run's PostgreSQL."""
    if request.param == "sqlite":
        yield {}
        return
    url = request.getfixturevalue("postgres_url")
    yield {"MOTPUB_DATABASE_URL": url, "MOTPUB_SECRET_KEY": "freshness-test-" + "k" * 32}
    empty_database(url)


def test_every_scan_answered_is_counted_a_second_later_across_two_processes(tmp_path,
                                                                            backend):
    with running_server(tmp_path, web_workers=2, **backend) as server:
        item = server.api("POST", "/items", {"slug": "ding", "default_language": "zh",
                                             "title": {"zh": "鼎", "en": "Ding"}})
        server.api("POST", f"/items/{item['id']}/publish")
        code = server.api("POST", f"/items/{item['id']}/codes", {"label": "Hall 1"})["code"]
        _cli(server.env, "users", "create", ANALYST_EMAIL, "--role", "analyst",
             "--password-stdin", stdin="analyst-password-correct-horse\n")
        token = _api_token(server.data_dir, ANALYST_EMAIL,
                           backend.get("MOTPUB_DATABASE_URL"))
        scan_url = f"{server.url}/s/{code}"

        answered = 0
        with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
            for _burst in range(BURSTS):
                statuses = list(pool.map(lambda _n: _scan(scan_url), range(BURST_SIZE)))
                assert statuses == [200] * BURST_SIZE
                answered += BURST_SIZE
                time.sleep(FRESH_AFTER_S)
                assert _scans_counted(server.url, token) == answered
