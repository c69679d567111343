#!/usr/bin/env python3
"""Scan page throughput: `GET /s/<code>` against the trivial `/livez`, on SQLite and PostgreSQL.

For each database the script builds a fresh schema with `motpub db upgrade`, creates an editor
and an API token with the CLI, starts the real server (`gunicorn -c gunicorn.conf.py wsgi:app`)
on 127.0.0.1, seeds one published bilingual item with a code through the JSON API, then:

1. saturating load: `wrk` on /livez and on /s/<code>, alternately, --runs times each;
2. half load: an open-loop load generator (below) sends /s/<code> at half the median
   saturating rate of /s/<code> and records latencies from each request's *scheduled* send
   time, so a slow server cannot hide its queueing (no coordinated omission);
3. clean shutdown: SIGTERM to the gunicorn master, wait for it to exit, then count the rows
   in `scan` and compare them with the scans the server answered 200 (counted in its access
   log) and with the 2xx answers the clients received (wrk and the open-loop generator).

Everything listens on and loads 127.0.0.1 only, every load loop is bounded in time, and every
process started here is stopped in a `finally`. Medians are printed as a markdown table;
raw numbers go to bench/out/ (gitignored).

    .venv/bin/python bench/scan_throughput.py --runs 5 --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "bench" / "out"
APP_DIR = ROOT  # the tree whose app is served; --app-dir serves another (e.g. a "before" copy)
HOST = "127.0.0.1"
EMAIL = "bench@example.org"
PASSWORD = "bench-password-0123456789"
# Sent on every request to both routes, as a phone would: language negotiation and the
# visitor classification of each recorded scan get real input.
ACCEPT_LANGUAGE = "en-US,en;q=0.9,zh-CN;q=0.8"
USER_AGENT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
              "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")

ITEM = {
    "slug": "bronze-ding",
    "default_language": "zh",
    "title": {"zh": "青铜鼎", "en": "Bronze ding"},
    "summary": {"zh": "商代晚期的礼器，用于祭祀。", "en": "A late Shang ritual vessel, used in sacrifices."},
    "body": {
        "zh": "# 简介\n\n这件**青铜鼎**出土于安阳。\n\n- 高 80 厘米\n- 重 50 公斤\n\n" + "铭文记载了祭祀。" * 20,
        "en": "# Introduction\n\nThis **bronze ding** was excavated at Anyang.\n\n- 80 cm high\n"
              "- 50 kg\n\n" + "The inscription records a sacrifice. " * 20,
    },
    "links": [{"url": "https://example.org/ding", "title": {"zh": "更多", "en": "More"}}],
}

# wrk prints one JSON line at the end with the exact counts and percentiles (no per-response
# Lua callback, so the script costs the load generator nothing while it runs).
WRK_LUA = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"duration_us": %d, "requests": %d, "bytes": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
    '"mean_us": %.1f, "max_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"p999_us": %d}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
"""


# ----------------------------------------------------------------------------- helpers

def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def loadavg() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return float("nan")


def _machine_jiffies() -> tuple[float, float]:
    """(busy, total) clock ticks of the whole machine since boot, from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    return total - idle, total


def _process_jiffies(server_pgid: int | None, per_process: dict | None = None) -> dict[str, float]:
    """CPU ticks used so far by: the gunicorn group, wrk, PostgreSQL, this script.

    `per_process`, if given, receives the ticks of each process of the gunicorn group.
    """
    used = {"server": 0.0, "wrk": 0.0, "postgres": 0.0, "bench": 0.0}
    me = os.getpid()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2:].split()
        pgid, ticks = int(rest[2]), float(rest[11]) + float(rest[12])  # pgrp, utime + stime
        if server_pgid is not None and pgid == server_pgid:
            used["server"] += ticks
            if per_process is not None:
                per_process[int(entry.name)] = ticks
        elif comm == "wrk":
            used["wrk"] += ticks
        elif comm.startswith("postgres"):
            used["postgres"] += ticks
        elif int(entry.name) == me:
            used["bench"] += ticks
    return used


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """Where both cores went during a run, in cores: ours by process, everyone else's, idle.

    The machine may be shared: "other" is what processes not started by this benchmark used,
    and a large figure there means the run competed with them for the CPU.
    """

    def __init__(self, server_pgid: int | None):
        self.server_pgid = server_pgid

    def __enter__(self):
        self.t0 = time.monotonic()
        self.machine0 = _machine_jiffies()
        self.workers0: dict[int, float] = {}
        self.procs0 = _process_jiffies(self.server_pgid, self.workers0)
        self.children0 = _children_cpu()
        return self

    def __exit__(self, *exc):
        elapsed = self.elapsed = max(1e-6, time.monotonic() - self.t0)
        busy1, total1 = _machine_jiffies()
        workers1: dict[int, float] = {}
        procs1 = _process_jiffies(self.server_pgid, workers1)
        hz = os.sysconf("SC_CLK_TCK")
        # Cores used by each gunicorn process (master included), busiest first: keep-alive
        # connections stay with the worker that accepted them, so an uneven spread of the
        # load generator's connections over the workers shows here.
        self.per_process = sorted(
            (round((ticks - self.workers0.get(pid, 0.0)) / hz / max(1e-6, time.monotonic() - self.t0), 2)
             for pid, ticks in workers1.items()), reverse=True)
        cores = (total1 - self.machine0[1]) / hz / elapsed
        self.usage = {name: (procs1[name] - self.procs0[name]) / hz / elapsed for name in procs1}
        # wrk has exited by now: its CPU comes from the rusage of waited-for children.
        self.usage["wrk"] = (_children_cpu() - self.children0) / elapsed
        busy = (busy1 - self.machine0[0]) / hz / elapsed
        # wrk and workers that exited during the run are not counted; a small negative is noise
        self.usage["other"] = max(0.0, busy - sum(self.usage.values()))
        self.usage["idle"] = max(0.0, cores - busy)
        self.usage = {k: round(v, 3) for k, v in self.usage.items()}
        return False


def wait_for_quiet(server_pgid: int, args) -> float:
    """Wait (at most --quiet-wait s) until other processes use less than --quiet-cores.

    The machine may be shared; a run that starts while something else is busy measures that
    something as much as the app. Returns the seconds waited; the run then goes ahead anyway.
    """
    started = time.monotonic()
    while time.monotonic() - started < args.quiet_wait:
        with CpuMeter(server_pgid) as meter:
            time.sleep(1.0)
        if meter.usage["other"] < args.quiet_cores:
            break
    return time.monotonic() - started


def fmt_cpu(usage: dict) -> str:
    return " ".join(f"{k} {v:.2f}" for k, v in usage.items() if v >= 0.005)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def motpub_cli(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run([sys.executable, "-m", "motpub", *args], cwd=APP_DIR, env=env,
                            input=stdin, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"motpub {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout.strip()


def http(method: str, url: str, *, token: str | None = None, body: dict | None = None,
         headers: dict | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# ----------------------------------------------------------------------------- databases

def prepare_database(name: str, workdir: Path, pg_url: str) -> dict:
    """An environment for the app on a fresh, migrated database of kind `name`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTPUB_")}
    if APP_DIR != ROOT:
        env["PYTHONPATH"] = str(APP_DIR / "src")
    env["MOTPUB_DATA_DIR"] = str(workdir / "data")
    env["MOTPUB_PUBLIC_URL"] = "http://127.0.0.1:8000"
    if name == "postgresql":
        reset_postgres(pg_url)
        env["MOTPUB_DATABASE_URL"] = pg_url
        # Production refuses the embedded default key; 40 random characters.
        env["MOTPUB_SECRET_KEY"] = secrets.token_hex(20)
    elif name != "sqlite":
        raise SystemExit(f"unknown database {name!r}")
    motpub_cli(env, "db", "upgrade")
    return env


def reset_postgres(url: str) -> None:
    import psycopg

    base, _, dbname = url.rpartition("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", dbname) or dbname in ("postgres", "template0",
                                                                 "template1"):
        raise SystemExit(f"refusing to reset database {dbname!r}: use a dedicated one")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone() is None:
            admin.execute(f'CREATE DATABASE "{dbname}"')
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def scan_rows(env: dict) -> dict:
    """Rows in `scan`, counted with the plain drivers (nothing of the app is imported here)."""
    query_total = "SELECT count(*) FROM scan"
    query_groups = ("SELECT language, language_source, count(*) FROM scan "
                    "GROUP BY language, language_source ORDER BY 3 DESC")
    if "MOTPUB_DATABASE_URL" in env:
        import psycopg

        with psycopg.connect(env["MOTPUB_DATABASE_URL"]) as conn:
            total = conn.execute(query_total).fetchone()[0]
            groups = conn.execute(query_groups).fetchall()
    else:
        import sqlite3

        conn = sqlite3.connect(Path(env["MOTPUB_DATA_DIR"]) / "motpub.db")
        try:
            total = conn.execute(query_total).fetchone()[0]
            groups = conn.execute(query_groups).fetchall()
        finally:
            conn.close()
    return {"rows": int(total), "by_language": [[g[0], g[1], int(g[2])] for g in groups]}


# ----------------------------------------------------------------------------- server

class Server:
    """`gunicorn -c gunicorn.conf.py wsgi:app` on 127.0.0.1:<port>, in its own process group."""

    def __init__(self, env: dict, workdir: Path, *, workers: int, threads: int):
        self.port = free_port()
        self.env = {**env, "MOTPUB_BIND": f"{HOST}:{self.port}",
                    "MOTPUB_WEB_WORKERS": str(workers), "MOTPUB_WEB_THREADS": str(threads)}
        self.access_log = workdir / "gunicorn.access.log"  # gunicorn.conf.py logs access to stdout
        self.error_log = workdir / "gunicorn.error.log"
        self.process: subprocess.Popen | None = None
        self.base = f"http://{HOST}:{self.port}"
        self.exit_code: int | None = None
        self.shutdown_s: float | None = None

    def start(self) -> None:
        with open(self.access_log, "wb") as out, open(self.error_log, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=APP_DIR, env=self.env, stdout=out, stderr=err, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.error_log.read_text()[-3000:]}")
            try:
                if http("GET", f"{self.base}/livez")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /livez within 60 s")

    def stop(self, timeout: float = 60) -> None:
        """A clean shutdown: SIGTERM to the master, which stops its workers gracefully."""
        if self.process is None or self.process.poll() is not None:
            return
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.exit_code = self.process.wait(timeout=timeout)
            self.shutdown_s = time.monotonic() - started
        finally:
            self.kill()

    def kill(self) -> None:
        """Last resort, for an error path: nothing of the group may outlive the script."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.process.poll() is None:
            self.process.wait(timeout=10)

    def served(self, path: str) -> dict[str, int]:
        """Responses the server logged for `path`, by status (the access log is per request)."""
        pattern = re.compile(rb'"GET ' + re.escape(path.encode()) + rb'(?:\?[^ ]*)? HTTP/1\.[01]" (\d{3}) ')
        counts: dict[str, int] = {}
        with open(self.access_log, "rb") as lines:
            for line in lines:
                match = pattern.search(line)
                if match:
                    status = match.group(1).decode()
                    counts[status] = counts.get(status, 0) + 1
        return counts


def seed(base: str, token: str) -> str:
    status, body = http("POST", f"{base}/api/v1/items", token=token, body=ITEM)
    if status != 201:
        raise RuntimeError(f"POST /items answered {status}: {body[:500]!r}")
    item_id = json.loads(body)["id"]
    status, body = http("POST", f"{base}/api/v1/items/{item_id}/publish", token=token)
    if status != 200:
        raise RuntimeError(f"publish answered {status}: {body[:500]!r}")
    status, body = http("POST", f"{base}/api/v1/items/{item_id}/codes", token=token,
                        body={"label": "Hall 1, case 3"})
    if status != 201:
        raise RuntimeError(f"POST /codes answered {status}: {body[:500]!r}")
    return json.loads(body)["code"]


# ----------------------------------------------------------------------------- wrk

@dataclass
class WrkRun:
    route: str
    run: int
    rps: float
    requests: int
    ok: int  # 2xx/3xx answers received (wrk counts status >= 400 as status errors)
    status_errors: int
    socket_errors: int
    timeouts: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    loadavg: float
    waited_s: float  # for the machine to be quiet before the run
    cpu: dict  # cores used during the run: server, wrk, postgres, bench, other, idle
    server_processes: list  # cores used by each gunicorn process, busiest first
    # CPU time the app spent per request: gunicorn's processes plus PostgreSQL's. Less
    # sensitive than req/s to other processes competing for the machine.
    server_cpu_ms_per_request: float
    text: str = field(repr=False)


def run_wrk(url: str, route: str, run: int, args, lua: Path, server_pgid: int) -> WrkRun:
    command = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{args.duration}s",
               "--latency", "--timeout", "5s", "-H", f"Accept-Language: {ACCEPT_LANGUAGE}",
               "-H", f"User-Agent: {USER_AGENT}",
               "-s", str(lua), url]
    waited = wait_for_quiet(server_pgid, args) if args.quiet_wait else 0.0
    load = loadavg()
    with CpuMeter(server_pgid) as meter:
        result = subprocess.run(command, capture_output=True, text=True,
                                timeout=args.duration + 60)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stderr}")
    text = result.stdout
    match = re.search(r"^WRKJSON (\{.*\})$", text, re.M)
    if not match:
        raise RuntimeError(f"no WRKJSON line in wrk's output:\n{text}")
    data = json.loads(match.group(1))
    rps_text = re.search(r"Requests/sec:\s+([\d.]+)", text)
    rps = float(rps_text.group(1)) if rps_text else data["requests"] / (data["duration_us"] / 1e6)
    return WrkRun(
        route=route, run=run, rps=rps, requests=data["requests"],
        ok=data["requests"] - data["status_errors"], status_errors=data["status_errors"],
        socket_errors=data["connect_errors"] + data["read_errors"] + data["write_errors"],
        timeouts=data["timeouts"], p50_ms=data["p50_us"] / 1000, p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000, max_ms=data["max_us"] / 1000, loadavg=load, waited_s=waited,
        cpu=meter.usage, server_processes=meter.per_process, text=text,
        server_cpu_ms_per_request=(meter.usage["server"] + meter.usage["postgres"])
        * meter.elapsed / max(1, data["requests"]) * 1000,
    )


# ----------------------------------------------------------------------------- open loop

@dataclass
class OpenLoopResult:
    route: str
    target_rps: float
    duration_s: float
    scheduled: int
    completed: int
    ok: int
    errors: int
    unanswered: int
    achieved_rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    service_p50_ms: float  # from the actual send, for comparison (hides queueing)
    service_p99_ms: float
    late_sends: int  # requests that left more than 10 ms after their scheduled time
    loadavg: float
    waited_s: float
    cpu: dict


async def _open_loop(host: str, port: int, path: str, rate: float, duration: float,
                     connections: int, drain_s: float) -> dict:
    """Send `rate` requests/s at fixed intervals for `duration` s over keep-alive connections.

    Open loop: request i is due at t0 + i/rate whatever happened to the ones before it. A due
    request waits for a free connection if all are busy, and its latency counts from when it
    was due. Bounded: nothing is scheduled after `duration`, and whatever has not finished
    `drain_s` after that is abandoned and counted as unanswered.
    """
    loop = asyncio.get_running_loop()
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: {USER_AGENT}\r\n"
               f"Accept-Language: {ACCEPT_LANGUAGE}\r\n\r\n").encode()
    total = int(rate * duration)
    interval = 1.0 / rate
    queue: asyncio.Queue = asyncio.Queue()
    latencies: list[float] = []
    service: list[float] = []
    counters = {"ok": 0, "errors": 0, "late": 0}

    async def connection() -> None:
        reader = writer = None
        while True:
            due = await queue.get()
            if due is None:
                break
            sent = loop.time()
            if sent - due > 0.010:
                counters["late"] += 1
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
                if length is None:
                    raise ValueError("response without Content-Length")
                await reader.readexactly(int(length.group(1)))
                done = loop.time()
                latencies.append(done - due)
                service.append(done - sent)
                if 200 <= status < 400:
                    counters["ok"] += 1
                else:
                    counters["errors"] += 1
                if re.search(rb"\r\nconnection:\s*close", head, re.I):
                    writer.close()
                    reader = writer = None
            except (OSError, asyncio.IncompleteReadError, ValueError):
                counters["errors"] += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    async def dispatch(t0: float) -> None:
        i = 0
        while i < total:
            now = loop.time()
            while i < total and t0 + i * interval <= now:
                queue.put_nowait(t0 + i * interval)
                i += 1
            if i < total:
                await asyncio.sleep(max(0.0, t0 + i * interval - loop.time()))
        for _ in range(connections):
            queue.put_nowait(None)

    t0 = loop.time() + 0.05
    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    await dispatch(t0)
    end_of_schedule = loop.time()
    _done, pending = await asyncio.wait(workers, timeout=drain_s)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    elapsed = loop.time() - t0
    latencies.sort()
    service.sort()
    return {
        "scheduled": total, "completed": len(latencies), "ok": counters["ok"],
        "errors": counters["errors"], "unanswered": total - len(latencies) - counters["errors"],
        "achieved_rps": len(latencies) / max(1e-9, elapsed),
        "p50_ms": percentile(latencies, 50) * 1000, "p90_ms": percentile(latencies, 90) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000, "p999_ms": percentile(latencies, 99.9) * 1000,
        "max_ms": (latencies[-1] if latencies else float("nan")) * 1000,
        "service_p50_ms": percentile(service, 50) * 1000,
        "service_p99_ms": percentile(service, 99) * 1000,
        "late_sends": counters["late"], "schedule_s": end_of_schedule - t0,
    }


def run_open_loop(port: int, path: str, route: str, rate: float, args,
                  server_pgid: int) -> OpenLoopResult:
    waited = wait_for_quiet(server_pgid, args) if args.quiet_wait else 0.0
    load = loadavg()
    with CpuMeter(server_pgid) as meter:
        data = asyncio.run(_open_loop(HOST, port, path, rate, args.duration,
                                      args.open_connections, drain_s=args.duration + 30))
    data.pop("schedule_s")
    return OpenLoopResult(route=route, target_rps=rate, duration_s=args.duration, loadavg=load,
                          waited_s=waited, cpu=meter.usage, **data)


# ----------------------------------------------------------------------------- one database

def bench_database(name: str, args, lua: Path, raw_dir: Path) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"motpub-bench-{name}-"))
    server = None
    try:
        log(f"{name}: fresh schema (motpub db upgrade), user and token")
        env = prepare_database(name, workdir, args.pg_url)
        motpub_cli(env, "users", "create", EMAIL, "--role", "editor", "--password-stdin",
                   stdin=PASSWORD + "\n")
        token = motpub_cli(env, "tokens", "create", EMAIL).splitlines()[-1].strip()
        server = Server(env, workdir, workers=args.workers, threads=args.threads)
        server.start()
        code = seed(server.base, token)
        scan_path = f"/s/{code}"
        routes = {"livez": "/livez", "scan": scan_path}
        status, page = http("GET", server.base + scan_path,
                            headers={"Accept-Language": ACCEPT_LANGUAGE, "User-Agent": USER_AGENT})
        if status != 200 or b"Bronze ding" not in page:
            raise RuntimeError(f"{scan_path} answered {status}")
        client_ok = {"scan": 1}  # that check was a scan too
        log(f"{name}: serving on {server.base}, code {code}; "
            f"{args.workers} workers x {args.threads} threads")

        warm = max(2, args.duration // 5)
        for route in ("livez", "scan"):
            warm_args = argparse.Namespace(**{**vars(args), "duration": warm})
            result = run_wrk(server.base + routes[route], route, -1, warm_args, lua,
                             server.process.pid)
            if route == "scan":
                client_ok["scan"] += result.ok
        runs: list[WrkRun] = []
        for run in range(args.runs):
            # Alternate which route goes first, so a drift in the machine's load hits both.
            order = ("livez", "scan") if run % 2 == 0 else ("scan", "livez")
            for route in order:
                result = run_wrk(server.base + routes[route], route, run, args, lua,
                                 server.process.pid)
                runs.append(result)
                if route == "scan":
                    client_ok["scan"] += result.ok
                (raw_dir / f"{name}-wrk-{route}-{run}.txt").write_text(result.text)
                log(f"{name}: run {run + 1}/{args.runs} {route:5s} {result.rps:8.1f} req/s  "
                    f"p99 {result.p99_ms:7.2f} ms  non-2xx {result.status_errors}  "
                    f"cpu/req {result.server_cpu_ms_per_request:.2f} ms  "
                    f"waited {result.waited_s:.0f} s  "
                    f"cores: {fmt_cpu(result.cpu)}  per gunicorn process {result.server_processes}")

        med = {route: median([r.rps for r in runs if r.route == route]) for route in routes}
        ratios = []
        for run in range(args.runs):
            pair = {r.route: r.rps for r in runs if r.run == run}
            ratios.append(pair["scan"] / pair["livez"])

        half_rate = args.half_load_rps or med["scan"] / 2
        half: list[OpenLoopResult] = []
        for run in range(args.half_load_runs):
            result = run_open_loop(server.port, scan_path, "scan", half_rate, args,
                                   server.process.pid)
            half.append(result)
            client_ok["scan"] += result.ok
            log(f"{name}: half load {half_rate:.0f} req/s on scan: achieved "
                f"{result.achieved_rps:.0f}  p50 {result.p50_ms:.2f} ms  p99 {result.p99_ms:.2f} ms"
                f"  errors {result.errors}  unanswered {result.unanswered}  late {result.late_sends}"
                f"  cores: {fmt_cpu(result.cpu)}")

        log(f"{name}: SIGTERM to gunicorn, waiting for a clean shutdown")
        server.stop()
        served = server.served(scan_path)
        stored = scan_rows(env)
        shutil.copy(server.error_log, raw_dir / f"{name}-gunicorn.error.log")
        server_ok = sum(n for status, n in served.items() if status.startswith(("2", "3")))
        no_scan_lost = stored["rows"] == server_ok and server.exit_code == 0
        summary = {
            "database": name,
            "code": code,
            "workers": args.workers,
            "threads": args.threads,
            "livez_rps_median": med["livez"],
            "scan_rps_median": med["scan"],
            "ratio_of_medians": med["scan"] / med["livez"],
            "ratio_median_of_runs": median(ratios),
            "ratios": ratios,
            "livez_p99_ms_median_saturated": median([r.p99_ms for r in runs if r.route == "livez"]),
            "scan_p99_ms_median_saturated": median([r.p99_ms for r in runs if r.route == "scan"]),
            "cpu_cores_median": {
                route: {key: median([r.cpu[key] for r in runs if r.route == route])
                        for key in runs[0].cpu}
                for route in routes},
            "server_cpu_ms_per_request_median": {
                route: median([r.server_cpu_ms_per_request for r in runs if r.route == route])
                for route in routes},
            "half_load_rps": half_rate,
            "half_load_p50_ms_median": median([h.p50_ms for h in half]),
            "half_load_p99_ms_median": median([h.p99_ms for h in half]),
            "half_load_p99_ms_max": max((h.p99_ms for h in half), default=float("nan")),
            "scans_answered_to_clients": client_ok["scan"],
            "scans_served_by_server": served,
            "scan_rows_stored": stored["rows"],
            "scan_rows_by_language": stored["by_language"],
            "no_scan_lost": no_scan_lost,
            "gunicorn_exit_code": server.exit_code,
            "shutdown_s": server.shutdown_s,
            "runs": [{k: v for k, v in asdict(r).items() if k != "text"} for r in runs],
            "half_load": [asdict(h) for h in half],
        }
        log(f"{name}: scans served {server_ok} (clients received {client_ok['scan']}), "
            f"rows stored {stored['rows']}, exit code {server.exit_code}"
            f" -> {'no scan lost' if no_scan_lost else 'MISMATCH'}")
        return summary
    finally:
        if server is not None:
            server.kill()
        if args.keep:
            log(f"{name}: kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


# ----------------------------------------------------------------------------- report

def markdown(results: list[dict], args) -> str:
    lines = [
        f"{args.runs} runs x {args.duration} s per route, alternating; wrk -t{args.wrk_threads} "
        f"-c{args.connections}; gunicorn {args.workers} workers x {args.threads} threads (gthread); "
        f"half load: open loop, {args.open_connections} connections, "
        f"{args.half_load_runs} x {args.duration} s" + (f"; {args.label}" if args.label else ""),
        "",
        "| database | req/s /livez | req/s /s/<code> | ratio | ratio, median of runs "
        "| p99 (p50) /s/<code> at half load | CPU ms/request livez / scan, ratio "
        "| others' CPU during runs | scans served (server 2xx) / received by clients "
        "| rows stored after SIGTERM | no scan lost |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        served = sum(n for s, n in r["scans_served_by_server"].items() if s.startswith(("2", "3")))
        cpu = r["server_cpu_ms_per_request_median"]
        other = max(r["cpu_cores_median"][route]["other"] for route in r["cpu_cores_median"])
        lines.append(
            f"| {r['database']} | {r['livez_rps_median']:,.0f} | {r['scan_rps_median']:,.0f} "
            f"| {r['ratio_of_medians']:.2f} | {r['ratio_median_of_runs']:.2f} "
            f"| {r['half_load_p99_ms_median']:.1f} ({r['half_load_p50_ms_median']:.1f}) ms "
            f"at {r['half_load_rps']:,.0f} req/s "
            f"| {cpu['livez']:.2f} / {cpu['scan']:.2f}, {cpu['livez'] / cpu['scan']:.2f} "
            f"| {other:.2f} cores "
            f"| {served:,} / {r['scans_answered_to_clients']:,} | {r['scan_rows_stored']:,} "
            f"| {'yes' if r['no_scan_lost'] else 'NO'} |")
    lines += [
        "",
        "ratio: median req/s of /s/<code> over median req/s of /livez. CPU ms/request: gunicorn's "
        "processes plus PostgreSQL's, per request served (median of runs). Others' CPU: cores "
        "used by processes this benchmark did not start (median, the worse route). Clients "
        "receive fewer scans than the server served: wrk drops the requests in flight when its "
        "time is up, after the server has answered and recorded them.",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (default: both)")
    parser.add_argument("--runs", type=int, default=5, help="wrk runs per route (default 5)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (default 10)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1),
                        help="MOTPUB_WEB_WORKERS (default: 2 per core, as gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, default=4,
                        help="MOTPUB_WEB_THREADS (default 4, as gunicorn.conf.py)")
    parser.add_argument("--half-load-runs", type=int, default=3,
                        help="open-loop runs at half the saturating scan rate (default 3)")
    parser.add_argument("--half-load-rps", type=float, default=0,
                        help="rate of the open-loop runs (default: half the median req/s of "
                             "/s/<code> measured by wrk in this run)")
    parser.add_argument("--open-connections", type=int, default=16,
                        help="keep-alive connections of the open-loop generator (default 16)")
    parser.add_argument("--pg-url", default=os.environ.get(
        "MOTPUB_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/motpub_bench"),
        help="a dedicated database: its public schema is dropped and rebuilt")
    parser.add_argument("--quiet-wait", type=float, default=0,
                        help="before each run, wait up to this many seconds for other processes "
                             "to use less than --quiet-cores (default 0: do not wait)")
    parser.add_argument("--quiet-cores", type=float, default=0.25)
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dirs")
    parser.add_argument("--app-dir", type=Path, default=ROOT,
                        help="serve the app of another checkout of motpub (default: this one)")
    parser.add_argument("--label", default="", help="a name for this run in bench/out/")
    args = parser.parse_args()
    global APP_DIR
    APP_DIR = args.app_dir.resolve()
    if not (APP_DIR / "gunicorn.conf.py").exists() or not (APP_DIR / "src" / "motpub").is_dir():
        raise SystemExit(f"{APP_DIR} is not a motpub checkout")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    if args.runs < 1 or args.duration < 1 or args.duration > 300:
        raise SystemExit("--runs >= 1 and 1 <= --duration <= 300")
    if not args.pg_url.startswith("postgresql://") or not re.match(
            r"postgresql://[^/]*@?(127\.0\.0\.1|localhost|\[::1\])[:/]", args.pg_url):
        raise SystemExit("--pg-url must be a postgresql:// URL on the loopback interface")

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    raw_dir = OUT_DIR / f"scan_throughput-{stamp}{'-' + args.label if args.label else ''}"
    raw_dir.mkdir(parents=True, exist_ok=True)
    lua = raw_dir / "wrk_report.lua"
    lua.write_text(WRK_LUA)
    machine = {
        "cores": os.cpu_count(), "python": platform.python_version(),
        "cpu": next((line.split(":", 1)[1].strip() for line in
                     Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name")), platform.processor()),
        "app_dir": str(APP_DIR),
        # read-only git queries: which commit was served, and whether its code had edits
        "app_commit": subprocess.run(["git", "-C", str(APP_DIR), "rev-parse", "--short", "HEAD"],
                                     capture_output=True, text=True).stdout.strip() or None,
        "app_edited": bool(subprocess.run(
            ["git", "-C", str(APP_DIR), "status", "--porcelain", "--", "src", "templates",
             "gunicorn.conf.py", "wsgi.py"], capture_output=True, text=True).stdout.strip()),
        "platform": platform.platform(),
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0],
        "loadavg_at_start": Path("/proc/loadavg").read_text().strip(),
    }
    results = []
    for name in [d.strip() for d in args.databases.split(",") if d.strip()]:
        results.append(bench_database(name, args, lua, raw_dir))
    table = markdown(results, args)
    report = {"command": " ".join([Path(sys.executable).name, *sys.argv]),
              "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
              "machine": machine, "finished": dt.datetime.now().isoformat(timespec="seconds"),
              "results": results, "table": table}
    (raw_dir / "results.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(table)
    print(f"\nraw numbers: {raw_dir.relative_to(ROOT)}/results.json")
    return 0 if all(r["no_scan_lost"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
