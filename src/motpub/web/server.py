"""gunicorn, embedded: `motpub serve` runs the same server that production runs on wsgi.py."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable

from flask import Flask, g, has_request_context
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from motpub import metrics
from motpub.config import Settings
from motpub.logs import JsonFormatter, log_json


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


# One access log line per request, carrying its X-Request-Id (web/observability.py).
# What the access log keeps by default: no client address, no user agent, no referrer and
# no query string (signed upload URLs carry their signature there), so the log keeps no
# more about a visitor than the analytics do. `%(U)s` is the path alone.
PRIVATE_ACCESS_LOG_FORMAT = \
    '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms id=%({x-request-id}o)s'
# gunicorn's own format: address, full request line, referrer, user agent.
FULL_ACCESS_LOG_FORMAT = \
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" id=%({x-request-id}o)s'


def access_log_format(full: bool) -> str:
    return FULL_ACCESS_LOG_FORMAT if full else PRIVATE_ACCESS_LOG_FORMAT


def run_server(app_factory: Callable[[], Flask], *, host: str, port: int, workers: int,
               threads: int, access_log_full: bool = False, log_format: str = "text") -> None:
    _Server(app_factory, {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "graceful_timeout": 20,
        "accesslog": "-",
        "access_log_format": access_log_format(access_log_full),
        "logger_class": logger_class(log_format, access_log_full),
        # gunicorn's control socket defaults to one path per user; several motpub servers
        # on one machine would delete each other's.
        "control_socket_disable": True,
        "worker_exit": flush_scans_on_exit,
        "child_exit": forget_exited_worker,
    }).run()


def flush_scans_on_exit(_server, worker) -> None:
    # A clean shutdown writes the scans still buffered in this worker.
    app = getattr(worker, "wsgi", None)
    runtime = getattr(app, "extensions", {}).get("motpub") if app else None
    if runtime is not None:
        runtime.scan_recorder.flush()


def prepare_metrics(settings: Settings) -> None:
    """With metrics on, give every process of this server (web workers, and the queue
    worker started alongside) one fresh directory to add their samples up in. Called before
    any of them starts."""
    if settings.metrics_token:
        metrics.prepare_multiprocess_dir(settings.data_dir / "metrics")


def forget_exited_worker(_server, worker) -> None:
    metrics.process_exited(worker.pid)


def _request_context() -> dict:
    if has_request_context() and "request_id" in g:
        return {"request_id": g.request_id}
    return {}


def logger_class(log_format: str, access_log_full: bool) -> type[Logger]:
    """gunicorn's logger for MOTPUB_LOG_FORMAT: text keeps gunicorn's lines (the access
    line in access_log_format); json writes every line, the access line too, as one JSON
    object, and sends the app's own log records the same way."""
    if log_format != "json":
        return Logger

    class JsonLogger(Logger):
        def setup(self, cfg) -> None:
            super().setup(cfg)
            for handler in self.error_log.handlers:
                handler.setFormatter(JsonFormatter())
            for handler in self.access_log.handlers:
                handler.setFormatter(logging.Formatter("%(message)s"))  # already JSON
            log_json(("motpub",), context=_request_context)

        def access(self, resp, req, environ, request_time) -> None:
            if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.logconfig_dict
                    or self.cfg.syslog):
                return
            atoms = self.atoms(resp, req, environ, request_time)
            line = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                    "level": "info", "logger": "access",
                    "request_id": atoms.get("{x-request-id}o", "-"),
                    "method": atoms["m"], "path": atoms["U"], "protocol": atoms["H"],
                    "status": resp.status_code if hasattr(resp, "status_code") else atoms["s"],
                    "bytes": atoms["B"] or 0,
                    "duration_ms": request_time.seconds * 1000
                    + request_time.microseconds // 1000}
            if access_log_full:
                line.update(remote_addr=atoms["h"], query=atoms["q"], referrer=atoms["f"],
                            user_agent=atoms["a"])
            try:
                self.access_log.info(json.dumps(line, ensure_ascii=False))
            except Exception:
                self.error("Failed to format access log line")

    return JsonLogger
