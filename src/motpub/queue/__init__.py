"""The job queue: the only huey import. SQLite for the embedded default, Redis to scale out."""

from __future__ import annotations

from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey, crontab

__all__ = ["Huey", "crontab", "make_queue"]


def make_queue(url: str, *, name: str = "motpub") -> Huey:
    if url.startswith(("redis://", "rediss://")):
        return RedisHuey(name, url=url)
    # sqlite:///relative/path or sqlite:////absolute/path, as SQLAlchemy spells them.
    path = Path(url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path))
