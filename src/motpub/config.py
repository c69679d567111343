"""Settings: every MOTPUB_* variable, read once in create_app.

The embedded default needs no variable at all. Anything malformed is reported together,
so a broken deployment fails at start with the whole list instead of one error at a time.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from motpub.i18n import DEFAULT_LANGUAGES, parse_fallbacks, parse_languages

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIN_SECRET_KEY_LENGTH = 32
# The embedded default's key: random, made on first start, readable by its owner only.
SECRET_KEY_FILE = "secret_key"
LOG_FORMATS = ("text", "json")
RATELIMIT_SCHEMES = ("sqlite:///", "redis://", "rediss://", "redis+sentinel://",
                     "redis+cluster://", "memcached://", "mongodb://", "memory://")


class ConfigError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))

    def one_line(self) -> str:
        """What an operator reads: `motpub: invalid configuration: ...; ...`."""
        return "invalid configuration: " + "; ".join(self.problems)


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
    # A picture: its pixels, checked from the header before decoding, and its file.
    max_image_pixels: int = 200_000_000
    max_image_bytes: int = 200 * 1024**2
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
    # The access log carries addresses, user agents, referrers and query strings only if set.
    access_log_full: bool = False
    # GET /metrics answers only with this bearer token; None turns metrics off (404).
    metrics_token: str | None = None
    log_format: str = "text"  # or "json": one JSON object per log line
    # PostgreSQL: how long to wait for a connection, and for a statement (server and client).
    db_connect_timeout_s: float = 5.0
    db_statement_timeout_s: float = 30.0
    templates_dir: Path = PROJECT_ROOT / "templates"
    static_dir: Path = PROJECT_ROOT / "static"
    migrations_dir: Path = PROJECT_ROOT / "migrations"
    # A TrueType font with Chinese glyphs for label sheets; None looks in the usual places.
    cjk_font_path: Path | None = None
    # Label sheets up to this many labels are drawn in the request; larger ones by a worker.
    max_direct_labels: int = 200
    # The content languages (BCP 47), in the order editors see them; the first is the
    # fallback. Each needs a catalog in translations/ for the interface's own words.
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    # Where a field missing in a language is looked for next (MOTPUB_FALLBACKS, for example
    # "zh-Hant=zh;pt-BR=pt"); languages not named keep motpub's defaults (i18n.fallback_chain).
    fallbacks: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    testing: bool = False

    def __post_init__(self) -> None:
        # Refused however the settings were made: a short key can be guessed offline from
        # one signed cookie, and whoever has the key can sign in as anyone.
        if len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError([_SHORT_SECRET_KEY])
        try:
            parse_languages(",".join(self.languages))
        except ValueError as error:
            raise ConfigError([f"languages: {error}"]) from None

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
        secret_key = get("MOTPUB_SECRET_KEY", "")
        queue_url = get("MOTPUB_QUEUE_URL", f"sqlite:///{data_dir / 'queue.db'}")
        storage_url = get("MOTPUB_STORAGE_URL", f"file://{data_dir / 'media'}")
        media_public_url = get("MOTPUB_MEDIA_PUBLIC_URL", "").rstrip("/") or None
        s3_endpoint_url = get("MOTPUB_S3_ENDPOINT_URL", "") or None

        if urlsplit(public_url).scheme not in ("http", "https") or not urlsplit(public_url).netloc:
            problems.append(
                f"MOTPUB_PUBLIC_URL must be an absolute http(s) URL, got {public_url!r}")
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
        if secret_key and len(secret_key) < MIN_SECRET_KEY_LENGTH:
            problems.append(_SHORT_SECRET_KEY)
        elif not secret_key and is_production:
            problems.append(
                "MOTPUB_SECRET_KEY must be set to a random value of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters when MOTPUB_DATABASE_URL is not the "
                "embedded SQLite default"
            )
        elif not secret_key:
            try:
                secret_key = embedded_secret_key(data_dir)
            except (OSError, ValueError) as error:
                problems.append(f"MOTPUB_SECRET_KEY is not set and the key kept in "
                                f"{data_dir / SECRET_KEY_FILE} cannot be used: {error}")
        login_rate_limit = get("MOTPUB_LOGIN_RATE_LIMIT", "10 per minute")
        # Counters shared by every process: Redis when the queue is there, else a file in
        # the data folder (memory:// counts per process, so per gunicorn worker).
        ratelimit_storage_url = get(
            "MOTPUB_RATELIMIT_STORAGE_URL",
            queue_url if queue_url.startswith(("redis://", "rediss://"))
            else f"sqlite:///{data_dir / 'ratelimits.db'}")
        if not ratelimit_storage_url.startswith(RATELIMIT_SCHEMES):
            problems.append("MOTPUB_RATELIMIT_STORAGE_URL must be a sqlite:///, redis:// or "
                            f"memory:// URL, got {ratelimit_storage_url!r}")
        max_request_bytes = _int(env, "MOTPUB_MAX_REQUEST_BYTES", 1_048_576, problems)
        max_upload_bytes = _int(env, "MOTPUB_MAX_UPLOAD_BYTES", 4 * 1024**3, problems)
        max_image_pixels = _int(env, "MOTPUB_MAX_IMAGE_PIXELS", 200_000_000, problems)
        max_image_bytes = _int(env, "MOTPUB_MAX_IMAGE_BYTES", 200 * 1024**2, problems)
        trusted_proxies = _int(env, "MOTPUB_TRUSTED_PROXIES", 0, problems, minimum=0)
        max_media_seconds = _int(env, "MOTPUB_MAX_MEDIA_SECONDS", 900, problems)
        job_lease_s = _int(env, "MOTPUB_JOB_LEASE_S", 60, problems)
        raw_event_days = _int(env, "MOTPUB_RAW_EVENT_DAYS", 90, problems, minimum=2)
        access_log_full = _bool(env, "MOTPUB_ACCESS_LOG_FULL", False, problems)
        metrics_token = get("MOTPUB_METRICS_TOKEN", "") or None
        if metrics_token and (len(metrics_token) < MIN_SECRET_KEY_LENGTH
                              or not metrics_token.isascii() or not metrics_token.isprintable()
                              or " " in metrics_token):
            problems.append(f"MOTPUB_METRICS_TOKEN must be a random value of at least "
                            f"{MIN_SECRET_KEY_LENGTH} printable characters without spaces, "
                            "such as the output of `openssl rand -hex 32`")
        log_format = get("MOTPUB_LOG_FORMAT", "text").lower()
        if log_format not in LOG_FORMATS:
            problems.append(f"MOTPUB_LOG_FORMAT must be text or json, got {log_format!r}")
        db_connect_timeout_s = _int(env, "MOTPUB_DB_CONNECT_TIMEOUT_S", 5, problems)
        db_statement_timeout_s = _int(env, "MOTPUB_DB_STATEMENT_TIMEOUT_S", 30, problems)
        geoip_path = Path(raw) if (raw := get("MOTPUB_GEOIP_PATH", "")) else None
        if geoip_path and not geoip_path.is_file():
            problems.append(f"MOTPUB_GEOIP_PATH must name a .mmdb file, got {raw!r}")
        cjk_font_path = Path(raw) if (raw := get("MOTPUB_CJK_FONT_PATH", "")) else None
        if cjk_font_path and not cjk_font_path.is_file():
            problems.append(f"MOTPUB_CJK_FONT_PATH must name a font file, got {raw!r}")
        max_direct_labels = _int(env, "MOTPUB_MAX_DIRECT_LABELS", 200, problems)
        languages: tuple[str, ...] = DEFAULT_LANGUAGES
        if raw_languages := get("MOTPUB_LANGUAGES", ""):
            try:
                languages = parse_languages(raw_languages)
            except ValueError as error:
                problems.append(f"MOTPUB_LANGUAGES must be comma-separated BCP 47 language "
                                f"tags such as zh,en: {error}")
        fallbacks: dict[str, tuple[str, ...]] = {}
        if raw_fallbacks := get("MOTPUB_FALLBACKS", ""):
            try:
                fallbacks = parse_fallbacks(raw_fallbacks)
            except ValueError as error:
                problems.append(f"MOTPUB_FALLBACKS must read like zh-Hant=zh,en;pt-BR=pt: "
                                f"{error}")
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
            max_image_pixels=max_image_pixels,
            max_image_bytes=max_image_bytes,
            trusted_proxies=trusted_proxies,
            max_media_seconds=float(max_media_seconds),
            job_lease_s=float(job_lease_s),
            raw_event_days=raw_event_days,
            access_log_full=access_log_full,
            metrics_token=metrics_token,
            log_format=log_format,
            db_connect_timeout_s=float(db_connect_timeout_s),
            db_statement_timeout_s=float(db_statement_timeout_s),
            geoip_path=geoip_path,
            cjk_font_path=cjk_font_path,
            max_direct_labels=max_direct_labels,
            languages=languages,
            fallbacks=fallbacks,
        )

    def replace(self, **changes) -> Settings:
        return dataclasses.replace(self, **changes)


def settings_or_exit(exit_status: int = 1) -> Settings:
    """Settings.from_env() where no `motpub` command reports a malformed setting (gunicorn's
    config file, wsgi.py): the process ends with `exit_status` and one line on standard
    error naming every problem, not a traceback."""
    try:
        return Settings.from_env()
    except ConfigError as error:
        print(f"motpub: {error.one_line()}", file=sys.stderr, flush=True)
        raise SystemExit(exit_status) from None


_SHORT_SECRET_KEY = (f"MOTPUB_SECRET_KEY must be a random value of at least "
                     f"{MIN_SECRET_KEY_LENGTH} characters, such as the output of "
                     "`openssl rand -hex 32`")


def embedded_secret_key(data_dir: Path) -> str:
    """The embedded default's secret key, kept in `data_dir/secret_key` (mode 0600).

    The first start writes a random key to a temporary file and links it into place: a link
    never replaces an existing file, so when two processes start at once one link wins and
    both read the winner's key, and a reader never sees a half-written file."""
    path = data_dir / SECRET_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = data_dir / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_hex(32) + "\n")
                file.flush()
                os.fsync(file.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            temporary.unlink(missing_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ValueError(f"it may be read by other users (mode {mode:o}); "
                         f"run `chmod 600 {path}`")
    key = path.read_text().strip()
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ValueError(f"it holds fewer than {MIN_SECRET_KEY_LENGTH} characters")
    return key


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


def _bool(env: Mapping[str, str], name: str, default: bool, problems: list[str]) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    problems.append(f"{name} must be 1 or 0, got {raw!r}")
    return default
