#!/usr/bin/env python3
"""A burst of engagement beacons: thousands of `POST /e` a second against the real server.

For each database the script builds a fresh schema, starts `gunicorn -c gunicorn.conf.py
wsgi:app` on 127.0.0.1 (the helpers of bench/scan_throughput.py), seeds one published item,
and runs `wrk` with a Lua script that POSTs a valid beacon (`text/plain` JSON, as
`navigator.sendBeacon` sends it) with a different page session on every request. Two runs:

- "one address": every beacon from 127.0.0.1, so the per-address rate limit answers most
  with 429, as it would a client flooding the endpoint;
- "many addresses": `X-Forwarded-For` from a pool of 20 000 addresses (the server trusts one
  proxy hop for this run), so nearly every beacon passes the limit and reaches the writer.

It counts the answers by status (wrk's per-response callback), stops the server with SIGTERM
(the writer flushes its buffer), and counts the rows in `engagement`: they must equal the 204
answers, and there must be no 5xx and no socket errors. Every process started here is
stopped in a `finally`.

    .venv/bin/python bench/beacon_burst.py --duration 15 --connections 32
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scan_throughput as st  # noqa: E402  (the server and database helpers)

LUA = r"""
local counter, addresses = 0, 20000
function init(args)
  statuses, sent, forwarded = {}, 0, args[2] == "many"
  item = args[1]
  math.randomseed(id * 7919 + os.time())
end
function request()
  sent = sent + 1
  local session = string.format("b%02d%012d", id, sent)
  local kinds = {"video_start", "watch_time", "video_progress"}
  local kind = kinds[sent % 3 + 1]
  local value = kind == "video_progress" and 50 or (sent % 90)
  local body = string.format('{"i": %s, "s": "%s", "k": "%s", "v": %d}', item, session, kind, value)
  local headers = {["Content-Type"] = "text/plain;charset=UTF-8",
                   ["User-Agent"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)"}
  if forwarded then
    local n = math.random(addresses)
    headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(n / 65536),
                                               math.floor(n / 256) % 256, n % 256)
  end
  return wrk.format("POST", "/e", headers, body)
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
threads = {}
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[tostring(status)] = (total[tostring(status)] or 0) + n
    end
  end
  local e = summary.errors
  local parts = {}
  for status, n in pairs(total) do table.insert(parts, string.format('"%s": %d', status, n)) end
  io.write(string.format('BURSTJSON {"requests": %d, "duration_us": %d, "socket_errors": %d, ' ..
    '"timeouts": %d, "p50_us": %d, "p99_us": %d, "statuses": {%s}}\n', summary.requests,
    summary.duration, e.connect + e.read + e.write, e.timeout, latency:percentile(50),
    latency:percentile(99), table.concat(parts, ", ")))
end
"""


def engagement_rows(env: dict) -> int:
    query = "SELECT count(*) FROM engagement"
    if "MOTPUB_DATABASE_URL" in env:
        import psycopg

        with psycopg.connect(env["MOTPUB_DATABASE_URL"]) as conn:
            return int(conn.execute(query).fetchone()[0])
    import sqlite3

    conn = sqlite3.connect(Path(env["MOTPUB_DATA_DIR"]) / "motpub.db")
    try:
        return int(conn.execute(query).fetchone()[0])
    finally:
        conn.close()


def drop_postgres(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    if not name.startswith("motpub_bench"):
        return  # only a database of the benchmark's own
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def burst(name: str, mode: str, args, lua: Path) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"motpub-beacons-{name}-"))
    server = None
    try:
        env = st.prepare_database(name, workdir, args.pg_url)
        st.motpub_cli(env, "users", "create", st.EMAIL, "--role", "editor",
                      "--password-stdin", stdin=st.PASSWORD + "\n")
        token = st.motpub_cli(env, "tokens", "create", st.EMAIL).splitlines()[-1].strip()
        if mode == "many":
            env["MOTPUB_TRUSTED_PROXIES"] = "1"
        server = st.Server(env, workdir, workers=args.workers, threads=args.threads)
        server.start()
        st.seed(server.base, token)
        status, body = st.http("GET", f"{server.base}/api/v1/items", token=token)
        if status != 200:
            raise RuntimeError(f"GET /items answered {status}")
        item_id = json.loads(body)["items"][0]["id"]
        command = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}",
                   f"-d{args.duration}s", "--timeout", "5s", "-s", str(lua), server.base,
                   "--", str(item_id), mode]
        result = subprocess.run(command, capture_output=True, text=True,
                                timeout=args.duration + 60)
        match = re.search(r"^BURSTJSON (\{.*\})$", result.stdout, re.M)
        if result.returncode != 0 or not match:
            raise RuntimeError(f"wrk failed:\n{result.stdout}\n{result.stderr}")
        data = json.loads(match.group(1))
        server.stop()
        stored = engagement_rows(env)
        statuses = data["statuses"]
        # wrk counts the answers that arrived before it stopped; the server's access log
        # also has those still in flight then, which were recorded too.
        pattern = re.compile(rb'"POST /e HTTP/1\.[01]" (\d{3}) ')
        served: dict[str, int] = {}
        for line in server.access_log.read_bytes().splitlines():
            if match := pattern.search(line):
                served[match.group(1).decode()] = served.get(match.group(1).decode(), 0) + 1
        answered_204 = served.get("204", 0)
        outcome = {
            "database": name, "mode": mode, "requests": data["requests"],
            "rps": round(data["requests"] / (data["duration_us"] / 1e6)),
            "statuses": dict(sorted(statuses.items())),
            "socket_errors": data["socket_errors"], "timeouts": data["timeouts"],
            "p50_ms": data["p50_us"] / 1000, "p99_ms": data["p99_us"] / 1000,
            "stored": stored, "answered_204": answered_204, "server_statuses": served,
            "only_2xx_429": all(s.startswith("2") or s == "429" for s in {*statuses, *served}),
            "all_recorded": stored == answered_204, "server_exit": server.exit_code,
        }
        st.log(f"{name} {mode}: {outcome}")
        return outcome
    finally:
        if server is not None:
            server.kill()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--pg-url", default=os.environ.get(
        "MOTPUB_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/motpub_bench_beacons"))
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    st.OUT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        lua = Path(tmp) / "beacon.lua"
        lua.write_text(LUA)
        try:
            results = [burst(name, mode, args, lua) for name in args.databases.split(",")
                       for mode in ("one", "many")]
        finally:
            drop_postgres(args.pg_url)
    print("| database | addresses | requests | req/s | answers by status | 5xx | socket errors "
          "| p50 ms | p99 ms | rows stored = 204s served |")
    print("|---|---|---:|---:|---|---:|---:|---:|---:|---|")
    for r in results:
        fivexx = sum(n for s, n in r["statuses"].items() if s.startswith("5"))
        print(f"| {r['database']} | {r['mode']} | {r['requests']} | {r['rps']} | "
              f"{', '.join(f'{s}: {n}' for s, n in r['statuses'].items())} | {fivexx} | "
              f"{r['socket_errors']} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
              f"{r['stored']} = {r['answered_204']}: {'yes' if r['all_recorded'] else 'NO'} |")
    ok = all(r["only_2xx_429"] and r["all_recorded"] and not r["socket_errors"] for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
