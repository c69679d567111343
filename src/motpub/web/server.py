"""gunicorn, embedded: `motpub serve` runs the same server that production runs on wsgi.py."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, app_factory: Callable[[], Flask], options: dict):
        self.app_factory = app_factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.app_factory()


# What the access log keeps by default: no client address, no user agent, no referrer and
# no query string (signed upload URLs carry their signature there), so the log keeps no
# more about a visitor than the analytics do. `%(U)s` is the path alone.
PRIVATE_ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
# gunicorn's own format: address, full request line, referrer, user agent.
FULL_ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'


def access_log_format(full: bool) -> str:
    return FULL_ACCESS_LOG_FORMAT if full else PRIVATE_ACCESS_LOG_FORMAT


def run_server(app_factory: Callable[[], Flask], *, host: str, port: int, workers: int,
               threads: int, access_log_full: bool = False) -> None:
    _Server(app_factory, {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "graceful_timeout": 20,
        "accesslog": "-",
        "access_log_format": access_log_format(access_log_full),
        # gunicorn's control socket defaults to one path per user; several motpub servers
        # on one machine would delete each other's.
        "control_socket_disable": True,
        "worker_exit": flush_scans_on_exit,
    }).run()


def flush_scans_on_exit(_server, worker) -> None:
    # A clean shutdown writes the scans still buffered in this worker.
    app = getattr(worker, "wsgi", None)
    runtime = getattr(app, "extensions", {}).get("motpub") if app else None
    if runtime is not None:
        runtime.scan_recorder.flush()
