"""What a check of a dependency answers (`motpub doctor`, /readyz): its outcome, and URLs shown
without their passwords."""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

class Status(StrEnum):
    """What a check found; FAIL is loud because it fails `doctor` and /readyz."""

    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


OK, WARN, FAIL = Status.OK, Status.WARN, Status.FAIL


def mask_url(url: str) -> str:
    """The URL with its password (if any) replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
