#!/usr/bin/env python3
"""Peak memory of the web workers while a large upload goes through on the file backend.

Starts the real server (`gunicorn -c gunicorn.conf.py wsgi:app`) on 127.0.0.1 with the
embedded default in a temp folder, asks for an upload of --size-gb, PUTs every part from a
generator (no file on the client side either) over one keep-alive connection, completes the
upload (which assembles the parts on disk), and samples the resident set size of every
gunicorn worker from /proc every 50 ms throughout. Prints the peak RSS per worker, the
idle RSS before the upload, and the throughput. Stops everything it started.

    .venv/bin/python bench/upload_memory.py --size-gb 2
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except FileNotFoundError:
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


class Sampler(threading.Thread):
    def __init__(self, master: int):
        super().__init__(daemon=True)
        self.master, self.peak, self.stop = master, {}, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            for pid in children(self.master):
                self.peak[pid] = max(self.peak.get(pid, 0), rss_bytes(pid))


def request(connection, method, path, body=None, headers=None):
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    return response.status, dict(response.getheaders()), data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=2.0)
    args = parser.parse_args()
    size = int(args.size_gb * 1024**3)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="motpub-upload-bench-") as tmp:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("MOTPUB_")},
               "MOTPUB_DATA_DIR": tmp, "MOTPUB_PUBLIC_URL": f"http://{HOST}:{port}",
               "MOTPUB_BIND": f"{HOST}:{port}", "MOTPUB_WEB_WORKERS": "2",
               "MOTPUB_WEB_THREADS": "4"}
        run = lambda *a, **kw: subprocess.run([str(VENV / "motpub"), *a], env=env,  # noqa: E731
                                              check=True, capture_output=True, text=True, **kw)
        run("db", "upgrade")
        run("users", "create", "bench@example.org", "--role", "editor", "--password-stdin",
            input="bench-password-0123\n")
        token = run("tokens", "create", "bench@example.org").stdout.strip()
        server = subprocess.Popen([str(VENV / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=120)
            for _ in range(100):
                try:
                    if request(connection, "GET", "/livez")[0] == 200:
                        break
                except OSError:
                    connection.close()
                    time.sleep(0.2)
            auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            time.sleep(1)
            idle = {pid: rss_bytes(pid) for pid in children(server.pid)}
            sampler = Sampler(server.pid)
            sampler.start()
            _s, _h, body = request(connection, "POST", "/api/v1/items", json.dumps(
                {"title": {"en": "Upload bench"}}), auth)
            item_id = json.loads(body)["id"]
            status, _h, body = request(connection, "POST", f"/api/v1/items/{item_id}/videos",
                                       json.dumps({"language": "en", "filename": "big.mp4",
                                                   "size_bytes": size,
                                                   "content_type": "video/mp4"}), auth)
            assert status == 201, body
            plan = json.loads(body)["upload"]
            part_size = plan["part_size_bytes"]
            block = os.urandom(1024 * 1024)
            started = time.monotonic()
            etags = []
            for part in plan["parts"]:
                length = min(part_size, size - (part["number"] - 1) * part_size)
                url = urlsplit(part["url"])

                def chunks(remaining=length):
                    while remaining > 0:
                        piece = block[:min(len(block), remaining)]
                        remaining -= len(piece)
                        yield piece

                status, headers, body = request(
                    connection, "PUT", f"{url.path}?{url.query}", chunks(),
                    {"Content-Length": str(length), "Content-Type": "application/octet-stream"})
                assert status == 200, body
                etags.append({"number": part["number"], "etag": headers["ETag"]})
            uploaded = time.monotonic()
            status, _h, body = request(connection, "POST", urlsplit(plan["complete_url"]).path,
                                       json.dumps({"parts": etags}), auth)
            assert status == 202, body
            completed = time.monotonic()
            sampler.stop.set()
            sampler.join()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    mib = 1024 * 1024
    print(f"upload of {size / 1024**3:.2f} GiB in {len(plan['parts'])} parts of "
          f"{part_size // mib} MiB, file backend, 2 gunicorn workers x 4 threads")
    print(f"| worker | idle RSS MiB | peak RSS MiB |\n|---|---|---|")
    for pid, peak in sorted(sampler.peak.items()):
        print(f"| {pid} | {idle.get(pid, 0) / mib:.0f} | {peak / mib:.0f} |")
    print(f"upload {size / mib / (uploaded - started):.0f} MiB/s; "
          f"complete (assemble {size / 1024**3:.2f} GiB) {completed - uploaded:.1f} s")
    print(f"peak RSS of any web worker: {max(sampler.peak.values()) / mib:.0f} MiB "
          f"(target < 200 MiB)")


if __name__ == "__main__":
    sys.exit(main())
