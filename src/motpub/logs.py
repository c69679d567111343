"""MOTPUB_LOG_FORMAT=json: log records as one JSON object per line."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable


class JsonFormatter(logging.Formatter):
    """A record as `{"time", "level", "logger", "message"}`, plus what `context` adds (the
    request id, inside a request) and the traceback of an exception."""

    def __init__(self, context: Callable[[], dict] | None = None):
        super().__init__()
        self._context = context

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                    timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name,
                "message": record.getMessage()}
        if self._context is not None:
            line.update(self._context())
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def log_json(names: tuple[str, ...], *, context: Callable[[], dict] | None = None) -> None:
    """Send the records of the loggers `names` (INFO and up) to standard error as JSON,
    unless they already have a handler of their own."""
    for name in names:
        logger = logging.getLogger(name)
        if logger.handlers:
            continue
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter(context))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
