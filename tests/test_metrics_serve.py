"""The real `motpub serve` with two web workers: /metrics adds up every worker, scans are
counted once written, each request has one log line with its id, and JSON logs are JSON."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import Server, running_server
from tests.factories import make_clip
from tests.support import sample

TOKEN = "metrics-token-0123456789-abcdefghijklmnop"
AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) ProbeAgent/9.9"
DING = {"title": {"zh": "铜铃", "en": "Bronze bell"}, "summary": {"zh": "", "en": ""}}


def get(server: Server, path: str, **headers: str) -> tuple[int, dict]:
    """One request on a fresh connection (so either worker may take it)."""
    call = urllib.request.Request(f"{server.url}{path}", headers=headers)
    try:
        with urllib.request.urlopen(call, timeout=10) as response:
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers)


def scrape(server: Server) -> str:
    call = urllib.request.Request(f"{server.url}/metrics",
                                  headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(call, timeout=10) as response:
        return response.read().decode()


def worker_files(server: Server) -> set[str]:
    """The pids of the processes that counted requests, from their multiprocess files."""
    return {path.stem.rpartition("_")[2]
            for path in (server.data_dir / "metrics").glob("counter_*.db")}


def wait_for(predicate, *, timeout_s: float = 10):
    deadline = time.monotonic() + timeout_s
    while not (value := predicate()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return value


def test_two_web_workers_report_exact_totals_per_route_and_status_class(tmp_path):
    with running_server(tmp_path, web_workers=2, MOTPUB_METRICS_TOKEN=TOKEN,
                        MOTPUB_LOG_FORMAT="json") as server:
        item = server.api("POST", "/items", DING)
        server.api("POST", f"/items/{item['id']}/publish")
        code = server.api("POST", f"/items/{item['id']}/codes", {"label": "hall"})["code"]
        # The start-up polled /livez: counted from here on.
        before = scrape(server)
        paths = ["/livez"] * 60 + ["/s/no-such-code"] * 30 + ["/no/such/page"] * 10 \
            + [f"/s/{code}"] * 20
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda path: get(server, path, **{"User-Agent": AGENT}),
                                    paths))
        assert [status for status, _ in answers] == \
            [200] * 60 + [404] * 30 + [404] * 10 + [200] * 20
        assert len(worker_files(server)) == 2, "both web workers should have served requests"
        # Scans are written by each worker's background writer within about 50 ms.
        scrapes = []

        def scans_written():
            scrapes.append(page := scrape(server))
            return sample(page, "motpub_visits_recorded_total", kind="scan") == 20 and page

        text = wait_for(scans_written)

        def grew(name, **labels):
            return sample(text, name, **labels) - sample(before, name, **labels)

        assert grew("motpub_http_requests_total", route="/livez", status="2xx") == 60
        assert grew("motpub_http_requests_total", route="/s/<code>", status="4xx") == 30
        assert grew("motpub_http_requests_total", route="/s/<code>", status="2xx") == 20
        assert grew("motpub_http_requests_total", route="unmatched", status="4xx") == 10
        assert grew("motpub_http_request_duration_seconds_count",
                    route="/livez", status="2xx") == 60
        assert sample(text, "motpub_http_requests_total", route="/metrics", status="2xx") \
            == sample(before, "motpub_http_requests_total", route="/metrics", status="2xx") \
            + len(scrapes)
        assert sample(text, "motpub_visits_buffered") == 0
        assert sample(text, "motpub_jobs", kind="transcode", status="queued") == 0
        assert "/s/no-such-code" not in text and "/no/such/page" not in text

        status, headers = get(server, "/metrics")
        assert status == 401
        status, headers = get(server, "/livez", **{"X-Request-Id": "probe-req-0001"})
        assert headers["X-Request-Id"] == "probe-req-0001"
        ids = {headers["X-Request-Id"] for _, headers in answers}
        assert len(ids) == len(answers)  # each request its own, made up by the server

    log = (tmp_path / "server.log").read_text(errors="replace").splitlines()
    access = [json.loads(line) for line in log if line.startswith("{")
              and '"logger": "access"' in line]
    assert len([line for line in access if line["path"] == "/livez"
                and line["request_id"] in ids | {"probe-req-0001"}]) == 61
    probe = [line for line in access if line["request_id"] == "probe-req-0001"]
    assert len(probe) == 1 and probe[0]["status"] == 200 and probe[0]["method"] == "GET"
    assert {line["request_id"] for line in access} >= ids
    gunicorn_lines = [json.loads(line) for line in log if '"logger": "gunicorn.error"' in line]
    assert any(line["message"].startswith("Booting worker") for line in gunicorn_lines)
    for line in access:
        assert set(line) == {"time", "level", "logger", "request_id", "method", "path",
                             "protocol", "status", "bytes", "duration_ms"}
        assert "ProbeAgent" not in json.dumps(line)


def test_metrics_answer_404_on_a_real_server_without_a_token(tmp_path):
    with running_server(tmp_path) as server:
        status, headers = get(server, "/metrics", Authorization=f"Bearer {TOKEN}")
        assert status == 404 and headers["X-Request-Id"]
        assert not (server.data_dir / "metrics").exists()


def test_text_access_log_line_ends_with_the_request_id(tmp_path):
    with running_server(tmp_path) as server:
        get(server, "/livez", **{"X-Request-Id": "probe-req-0002"})
        log_path = tmp_path / "server.log"
        line = wait_for(lambda: next((line for line in log_path.read_text().splitlines()
                                      if "probe-req-0002" in line), None))
    assert line.endswith(" id=probe-req-0002")
    assert '"GET /livez HTTP/1.1" 200' in line


def put_part(url: str, data: bytes) -> str:
    call = urllib.request.Request(url, data=data, method="PUT")
    with urllib.request.urlopen(call, timeout=30) as response:
        return response.headers["ETag"]


def test_a_transcode_by_the_queue_worker_of_serve_is_in_the_web_scrape(tmp_path):
    (tmp_path / "serve").mkdir()
    clip = make_clip(tmp_path / "ding.mp4", seconds=1, size="160x90").read_bytes()
    with running_server(tmp_path / "serve", queue_worker=True,
                        MOTPUB_METRICS_TOKEN=TOKEN, MOTPUB_LOG_FORMAT="json") as server:
        item = server.api("POST", "/items", DING)
        plan = server.api("POST", f"/items/{item['id']}/videos", {
            "language": "zh", "filename": "ding.mp4", "size_bytes": len(clip),
            "content_type": "video/mp4"})
        size = plan["upload"]["part_size_bytes"]
        etags = [{"number": part["number"],
                  "etag": put_part(part["url"], clip[(part["number"] - 1) * size:
                                                     part["number"] * size])}
                 for part in plan["upload"]["parts"]]
        server.api("POST", plan["upload"]["complete_url"].partition("/api/v1")[2],
                   {"parts": etags})
        wait_for(lambda: server.api("GET", f"/videos/{plan['video_id']}")["status"]
                 in ("ready", "failed"), timeout_s=120)
        assert server.api("GET", f"/videos/{plan['video_id']}")["status"] == "ready"
        text = wait_for(lambda: (page := scrape(server)) and sample(
            page, "motpub_transcode_wall_seconds_count") == 1 and page)
    assert sample(text, "motpub_transcode_realtime_factor_count") == 1
    wall_s = sample(text, "motpub_transcode_wall_seconds_sum")
    factor = sample(text, "motpub_transcode_realtime_factor_sum")
    assert wall_s > 0 and factor == pytest.approx(1.0 / wall_s, rel=0.2)
    assert sample(text, "motpub_jobs", kind="transcode", status="queued") == 0
    # The queue worker's own lines are JSON too.
    [done] = [json.loads(line) for line in
              (tmp_path / "serve" / "server.log").read_text().splitlines()
              if "transcode job" in line]
    assert done["logger"] == "motpub.jobs" and done["message"].endswith(": ready")


def test_json_access_log_keeps_address_and_agent_only_when_the_full_log_is_asked_for(tmp_path):
    with running_server(tmp_path, MOTPUB_LOG_FORMAT="json", MOTPUB_ACCESS_LOG_FULL="1") as server:
        get(server, "/livez?from=poster", **{"User-Agent": AGENT, "X-Request-Id": "probe-3"})
        log_path = tmp_path / "server.log"
        line = wait_for(lambda: next((json.loads(line) for line in
                                      log_path.read_text().splitlines()
                                      if '"probe-3"' in line), None))
    assert line["remote_addr"] == "127.0.0.1" and line["user_agent"] == AGENT
    assert line["path"] == "/livez" and line["query"] == "from=poster"
