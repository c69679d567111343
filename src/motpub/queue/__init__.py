"""The job queue: the only huey import. SQLite for the embedded default, Redis to scale out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from huey import Huey, RedisHuey, SqliteHuey, crontab

__all__ = ["Huey", "Task", "Tasks", "crontab", "make_queue"]


class Task(Protocol):
    """A registered task as the rest of the app uses it (huey's TaskWrapper)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Enqueue a run."""

    def schedule(self, args: tuple[Any, ...] | None = None,
                 kwargs: dict[str, Any] | None = None, eta: dt.datetime | None = None,
                 delay: float | None = None) -> Any:
        """Enqueue a run for later."""

    def call_local(self, *args: Any, **kwargs: Any) -> Any:
        """Run it here and now."""


@dataclass
class Tasks:
    """What the rest of the app may enqueue; motpub.jobs registers them."""

    transcode_video: Task
    sweep_jobs: Task
    clean_uploads: Task
    delete_salts: Task
    roll_up_visits: Task
    build_label_sheet: Task
    process_image: Task


def make_queue(url: str, *, name: str = "motpub") -> Huey:
    if url.startswith(("redis://", "rediss://")):
        return RedisHuey(name, url=url)
    # sqlite:///relative/path or sqlite:////absolute/path, as SQLAlchemy spells them.
    path = Path(url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path))
