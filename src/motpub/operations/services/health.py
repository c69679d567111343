"""Is every part the settings name there and usable? `motpub doctor` runs all the checks;
`GET /readyz` the ones cheap enough for every request.

Each check answers one line and never raises: a part that is missing is a result, not an
error. No line carries a password or the secret key.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from motpub.checks import FAIL, OK, WARN, Status, mask_url
from motpub.config import Settings
from motpub.database import migration_heads, migration_revisions, schema_revision
from motpub.printing.labels import FontMissing, find_cjk_font
from motpub.avtools.tools import check_tools
from motpub.storage import Storage

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}
# A random key of 32 characters or more has far more different characters than this.
MIN_DISTINCT_SECRET_CHARACTERS = 10


class Queue(Protocol):
    """What the checks ask of the job queue."""

    def pending_count(self) -> int: ...


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    @property
    def is_ok(self) -> bool:
        return self.status != FAIL


def _first_line(error: BaseException) -> str:
    """An error in one line: the driver's own message for a database error."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def run_check(name: str, check: Callable[[], str | tuple[Status, str]]) -> Check:
    """`check()` returns the detail of a passed check (or (WARN, detail)); anything it raises
    is the failure, told in one line."""
    try:
        result = check()
    except Exception as error:  # every failure is an answer here
        return Check(name, FAIL, _first_line(error))
    if isinstance(result, tuple):
        return Check(name, *result)
    return Check(name, OK, result)


def storage_check(storage: Storage) -> Callable[[], str]:
    def check() -> str:
        storage.check_reachable()
        return "reachable"

    return check


def database_check(engine: Engine, database_url: str, migrations_dir: Path) -> Callable[[], str]:
    def check() -> str:
        shown = make_url(database_url).render_as_string(hide_password=True)
        current, heads = schema_revision(engine), migration_heads(str(migrations_dir))
        if current != heads:
            at = ", ".join(current) or "no revision (never migrated)"
            if set(current) - migration_revisions(str(migrations_dir)):
                raise RuntimeError(f"{shown} is at {at}, which the migrations (at "
                                   f"{', '.join(heads)}) do not know: its schema was made by "
                                   "another motpub, and `motpub db upgrade` cannot move it")
            raise RuntimeError(f"{shown} is at {at}, the migrations at {', '.join(heads)}: "
                               "run `motpub db upgrade`")
        return f"{shown} at revision {', '.join(current)}"

    return check


def storage_round_trip(storage: Storage, storage_url: str) -> Callable[[], str]:
    """Write, read back and delete a small object under a scratch key."""
    def check() -> str:
        key = f"doctor/{secrets.token_hex(8)}"
        data = secrets.token_bytes(64)
        storage.put_bytes(key, data, content_type="application/octet-stream")
        try:
            if storage.get_bytes(key) != data:
                raise RuntimeError(f"{mask_url(storage_url)}: read back other bytes than written")
        finally:
            storage.delete(key)
        if storage.exists(key):
            raise RuntimeError(f"{mask_url(storage_url)}: a deleted object is still there")
        return f"{mask_url(storage_url)} writable and readable"

    return check


def queue_check(queue: Queue, queue_url: str) -> Callable[[], str]:
    def check() -> str:
        pending = queue.pending_count()  # a query of the SQLite file, an LLEN on Redis
        return f"{mask_url(queue_url)} answers, {pending} task(s) waiting"

    return check


def tools_check() -> str:
    return check_tools().describe()  # ToolMissing says what is wrong and what to install


def font_check(configured: Path | None) -> Callable[[], str]:
    def check() -> str:
        try:
            path = find_cjk_font(configured)
            with open(path, "rb") as font:
                font.read(4)
        except (FontMissing, OSError) as error:
            raise RuntimeError(str(error)) from None
        return str(path)

    return check


def secret_key_check(settings: Settings) -> Callable[[], str]:
    def check() -> str:
        if settings.is_embedded:
            return f"made on first start, kept in {settings.data_dir / 'secret_key'}"
        if len(set(settings.secret_key)) < MIN_DISTINCT_SECRET_CHARACTERS:
            raise RuntimeError("MOTPUB_SECRET_KEY does not look random: use the output of "
                               "`openssl rand -hex 32`")
        return f"set, {len(settings.secret_key)} characters"

    return check


def public_url_check(settings: Settings) -> Callable[[], str | tuple[Status, str]]:
    def check() -> str | tuple[Status, str]:
        parts = urlsplit(settings.public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RuntimeError(f"{settings.public_url} is not an absolute http(s) URL")
        if settings.is_embedded:
            return settings.public_url
        if parts.hostname in LOCAL_HOSTS:
            return WARN, (f"{settings.public_url}: printed codes will point at this machine "
                          "only; set MOTPUB_PUBLIC_URL to the address phones reach")
        if parts.scheme != "https":
            return WARN, (f"{settings.public_url}: https is recommended in production "
                          "(secure cookies, HSTS)")
        return settings.public_url

    return check


def doctor_checks(settings: Settings, *, engine: Engine, storage: Storage, queue: Queue,
                  ratelimit_check: Callable[[], str | tuple[Status, str]]) -> list[Check]:
    """Every part the settings name, one check each."""
    return [
        run_check("database", database_check(engine, settings.database_url,
                                             settings.migrations_dir)),
        run_check("storage", storage_round_trip(storage, settings.storage_url)),
        run_check("queue", queue_check(queue, settings.queue_url)),
        run_check("ffmpeg", tools_check),
        run_check("cjk-font", font_check(settings.cjk_font_path)),
        run_check("secret-key", secret_key_check(settings)),
        run_check("public-url", public_url_check(settings)),
        run_check("rate-limits", ratelimit_check),
    ]


def readiness_checks(settings: Settings, *, engine: Engine, storage: Storage,
                     queue: Queue) -> list[Check]:
    """The checks cheap enough for every readiness probe: nothing written, no subprocess."""
    return [
        run_check("database", database_check(engine, settings.database_url,
                                             settings.migrations_dir)),
        run_check("storage", storage_check(storage)),
        run_check("queue", queue_check(queue, settings.queue_url)),
    ]
