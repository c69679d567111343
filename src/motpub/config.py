"""Settings: every MOTPUB_* variable, read once in create_app.

The embedded default needs no variable at all. Anything malformed is reported together,
so a broken deployment fails at start with the whole list instead of one error at a time.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SECRET_KEY = "motpub-embedded-default-not-secret"


class ConfigError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    data_dir: Path
    database_url: str
    public_url: str
    secret_key: str
    queue_url: str
    storage_url: str
    media_public_url: str | None = None
    max_upload_bytes: int = 4 * 1024**3
    trusted_proxies: int = 0
    max_media_seconds: float = 900.0
    job_lease_s: float = 60.0
    raw_event_days: int = 90
    geoip_path: Path | None = None  # a MaxMind-format country database (.mmdb)
    job_retry_delay_s: float = 30.0
    ffmpeg_stall_timeout_s: float = 120.0
    abandoned_upload_s: int = 2 * 86400
    s3_endpoint_url: str | None = None
    ratelimit_storage_url: str = "memory://"
    login_rate_limit: str = "10 per minute"
    max_request_bytes: int = 1_048_576
    templates_dir: Path = PROJECT_ROOT / "templates"
    static_dir: Path = PROJECT_ROOT / "static"
    migrations_dir: Path = PROJECT_ROOT / "migrations"
    # A TrueType font with Chinese glyphs for label sheets; None looks in the usual places.
    cjk_font_path: Path | None = None
    # Label sheets up to this many labels are drawn in the request; larger ones by a worker.
    max_direct_labels: int = 200
    testing: bool = False

    @property
    def is_embedded(self) -> bool:
        """The embedded default runs on SQLite; any other database means production."""
        return self.database_url.startswith("sqlite")

    @property
    def is_https(self) -> bool:
        return self.public_url.startswith("https://")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        problems: list[str] = []

        def get(name: str, default: str) -> str:
            return env.get(name, "").strip() or default

        data_dir = Path(get("MOTPUB_DATA_DIR", "var")).absolute()
        database_url = get("MOTPUB_DATABASE_URL", f"sqlite:///{data_dir / 'motpub.db'}")
        public_url = get("MOTPUB_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
        secret_key = get("MOTPUB_SECRET_KEY", DEFAULT_SECRET_KEY)
        queue_url = get("MOTPUB_QUEUE_URL", f"sqlite:///{data_dir / 'queue.db'}")
        storage_url = get("MOTPUB_STORAGE_URL", f"file://{data_dir / 'media'}")
        media_public_url = get("MOTPUB_MEDIA_PUBLIC_URL", "").rstrip("/") or None
        s3_endpoint_url = get("MOTPUB_S3_ENDPOINT_URL", "") or None

        if urlsplit(public_url).scheme not in ("http", "https") or not urlsplit(public_url).netloc:
            problems.append(f"MOTPUB_PUBLIC_URL must be an absolute http(s) URL, got {public_url!r}")
        if not database_url.startswith(("sqlite", "postgresql")):
            problems.append("MOTPUB_DATABASE_URL must be a sqlite:/// or postgresql:// URL")
        if not queue_url.startswith(("sqlite://", "redis://", "rediss://")):
            problems.append("MOTPUB_QUEUE_URL must be a sqlite:/// or redis:// URL")
        if not storage_url.startswith(("file://", "s3://")):
            problems.append("MOTPUB_STORAGE_URL must be a file:// or s3:// URL")
        for name, value in [("MOTPUB_MEDIA_PUBLIC_URL", media_public_url),
                            ("MOTPUB_S3_ENDPOINT_URL", s3_endpoint_url)]:
            if value and not _is_http_url(value):
                problems.append(f"{name} must be an absolute http(s) URL, got {value!r}")
        is_production = not database_url.startswith("sqlite")
        if is_production and (secret_key == DEFAULT_SECRET_KEY or len(secret_key) < 32):
            problems.append(
                "MOTPUB_SECRET_KEY must be set to a random value of at least 32 characters "
                "when MOTPUB_DATABASE_URL is not the embedded SQLite default"
            )
        login_rate_limit = get("MOTPUB_LOGIN_RATE_LIMIT", "10 per minute")
        ratelimit_storage_url = get("MOTPUB_RATELIMIT_STORAGE_URL", "memory://")
        max_request_bytes = _int(env, "MOTPUB_MAX_REQUEST_BYTES", 1_048_576, problems)
        max_upload_bytes = _int(env, "MOTPUB_MAX_UPLOAD_BYTES", 4 * 1024**3, problems)
        trusted_proxies = _int(env, "MOTPUB_TRUSTED_PROXIES", 0, problems, minimum=0)
        max_media_seconds = _int(env, "MOTPUB_MAX_MEDIA_SECONDS", 900, problems)
        job_lease_s = _int(env, "MOTPUB_JOB_LEASE_S", 60, problems)
        raw_event_days = _int(env, "MOTPUB_RAW_EVENT_DAYS", 90, problems, minimum=2)
        geoip_path = Path(raw) if (raw := get("MOTPUB_GEOIP_PATH", "")) else None
        if geoip_path and not geoip_path.is_file():
            problems.append(f"MOTPUB_GEOIP_PATH must name a .mmdb file, got {raw!r}")
        cjk_font_path = Path(raw) if (raw := get("MOTPUB_CJK_FONT_PATH", "")) else None
        if cjk_font_path and not cjk_font_path.is_file():
            problems.append(f"MOTPUB_CJK_FONT_PATH must name a font file, got {raw!r}")
        max_direct_labels = _int(env, "MOTPUB_MAX_DIRECT_LABELS", 200, problems)
        if problems:
            raise ConfigError(problems)
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            public_url=public_url,
            secret_key=secret_key,
            queue_url=queue_url,
            storage_url=storage_url,
            media_public_url=media_public_url,
            s3_endpoint_url=s3_endpoint_url,
            ratelimit_storage_url=ratelimit_storage_url,
            login_rate_limit=login_rate_limit,
            max_request_bytes=max_request_bytes,
            max_upload_bytes=max_upload_bytes,
            trusted_proxies=trusted_proxies,
            max_media_seconds=float(max_media_seconds),
            job_lease_s=float(job_lease_s),
            raw_event_days=raw_event_days,
            geoip_path=geoip_path,
            cjk_font_path=cjk_font_path,
            max_direct_labels=max_direct_labels,
        )

    def replace(self, **changes) -> Settings:
        return dataclasses.replace(self, **changes)


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _int(env: Mapping[str, str], name: str, default: int, problems: list[str], *,
         minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{name} must be a whole number, got {raw!r}")
        return default
    if value < minimum:
        problems.append(f"{name} must be at least {minimum}, got {value}")
    return value
