"""Prometheus metrics: the one module that imports prometheus_client.

Everything else reports through the small functions below (a request served, visits
written, a beacon taken or refused, a transcode finished, a storage failure), so services
and adapters never see the library. The metrics are made on first use in each process:
prometheus_client picks its storage when it is imported, and a gunicorn worker must pick
the multiprocess files of PROMETHEUS_MULTIPROC_DIR (set by `motpub serve` and
gunicorn.conf.py before the workers fork) for a scrape to add up every process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from typing import Any
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_TRANSCODE_BUCKETS = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600)
_REALTIME_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64)


class _Metrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, values

        if os.environ.get(MULTIPROC_ENV) and values.ValueClass is values.MutexValue:
            # Imported before the variable was set (a parent process that forked this one):
            # choose again, or this process's samples would never reach the shared files.
            values.ValueClass = values.get_value_class()
        self.registry = CollectorRegistry()
        kw: dict[str, Any] = {"registry": self.registry}
        self.requests = Counter("motpub_http_requests_total",
                                "HTTP requests answered, by route template and status class",
                                ["route", "status"], **kw)
        self.request_seconds = Histogram(
            "motpub_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and status class",
            ["route", "status"], buckets=_DURATION_BUCKETS, **kw)
        self.visits_recorded = Counter("motpub_visits_recorded_total",
                                       "Scans, views and engagements written to the database",
                                       ["kind"], **kw)
        self.visits_buffered = Gauge("motpub_visits_buffered",
                                     "Scans, views and engagements waiting to be written",
                                     multiprocess_mode="livesum", **kw)
        self.beacons = Counter("motpub_beacons_total",
                               "Engagement beacons: accepted (kept), refused (invalid) or "
                               "ignored (item not published, or keeping it failed)",
                               ["outcome"], **kw)
        self.transcode_seconds = Histogram("motpub_transcode_wall_seconds",
                                           "Wall time of finished transcodes",
                                           buckets=_TRANSCODE_BUCKETS, **kw)
        self.transcode_realtime = Histogram(
            "motpub_transcode_realtime_factor",
            "Media seconds transcoded per wall second, for finished transcodes",
            buckets=_REALTIME_BUCKETS, **kw)
        self.storage_errors = Counter("motpub_storage_errors_total",
                                      "Storage operations that failed for want of the backend",
                                      ["backend", "operation"], **kw)


_metrics: _Metrics | None = None
_lock = threading.Lock()


def _get() -> _Metrics:
    global _metrics
    if _metrics is None:
        with _lock:
            if _metrics is None:
                _metrics = _Metrics()
    return _metrics


def status_class(status_code: int) -> str:
    return f"{status_code // 100}xx" if 100 <= status_code < 600 else "other"


def observe_request(route: str, status_code: int, seconds: float) -> None:
    metrics, status = _get(), status_class(status_code)
    metrics.requests.labels(route, status).inc()
    metrics.request_seconds.labels(route, status).observe(seconds)


def visits_recorded(kind: str, count: int) -> None:
    if count:
        _get().visits_recorded.labels(kind).inc(count)


def visits_buffered(count: int) -> None:
    _get().visits_buffered.set(count)


def beacon(outcome: str) -> None:
    _get().beacons.labels(outcome).inc()


def transcode_finished(wall_s: float, media_s: float | None) -> None:
    metrics = _get()
    metrics.transcode_seconds.observe(wall_s)
    if media_s and wall_s > 0:
        metrics.transcode_realtime.observe(media_s / wall_s)


def storage_error(backend: str, operation: str) -> None:
    _get().storage_errors.labels(backend, operation).inc()


def prepare_multiprocess_dir(default: Path) -> Path:
    """The shared directory of every process of this server (PROMETHEUS_MULTIPROC_DIR if
    set, else `default`), created, emptied of a previous run's files, and exported to the
    processes started from now on."""
    directory = Path(os.environ.get(MULTIPROC_ENV) or default)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)
    os.environ[MULTIPROC_ENV] = str(directory)
    return directory


def process_exited(pid: int) -> None:
    """Drop a dead process's live gauges (its counters and histograms keep counting)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


Gauge = tuple[str, str, list[str], dict[tuple[str, ...], float]]


def render(gauges: Callable[[], Iterable[Gauge]]) -> tuple[bytes, str]:
    """The text exposition of every process's metrics and of `gauges`, read now: each is
    (name, help, label names, {label values: value})."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily

    class _ReadNow:
        def collect(self):
            for name, documentation, labels, samples in gauges():
                family = GaugeMetricFamily(name, documentation, labels=labels)
                for values, value in samples.items():
                    family.add_metric(list(values), value)
                yield family

    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        _get()  # makes sure this process's own files exist
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_get().registry)
    registry.register(_ReadNow())
    return generate_latest(registry), CONTENT_TYPE_LATEST
