"""Who may read a video's objects: anyone once its item is published, else only holders of
a short-lived signed URL (the studio's preview and the API, for editors).

On the file backend the app's /media route decides at every request. On S3 behind a public
address (MOTPUB_MEDIA_PUBLIC_URL) the objects themselves are made readable or private
(`Storage.set_public`) when an item is published or unpublished, when a transcode switches
to new renditions and when captions change; drafts are read through signed URLs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from motpub.domain import Item, ItemStatus, Video
from motpub.storage import Storage

log = logging.getLogger(__name__)

_PUBLICATION_CHANGED = "motpub.publication_changed"


def video_prefix(video_id: int) -> str:
    return f"videos/{video_id}/"


def video_id_of(key: str) -> int | None:
    """The video a media key belongs to ("videos/12/v8f3a/720p/..." → 12), if any."""
    first, _, rest = key.partition("/")
    number = rest.partition("/")[0]
    return int(number) if first == "videos" and number.isdigit() else None


def is_video_public(session: Session, video_id: int) -> bool:
    status = session.scalar(select(Item.status).join(Video, Video.item_id == Item.id)
                            .where(Video.id == video_id))
    return status is ItemStatus.PUBLISHED


def sync_visibility(storage: Storage, session_factory: Callable[[], Session],
                    video_ids: Iterable[int]) -> None:
    """Make each video's objects as public as its item is now. Run after the commit that
    changed it; a failure is logged and left for the next change or transcode to repair."""
    with session_factory() as session:
        rows = session.execute(
            select(Video.id, Item.status).join(Item, Video.item_id == Item.id)
            .where(Video.id.in_(list(video_ids)))).all()
    for video_id, status in rows:
        try:
            storage.set_public(video_prefix(video_id), status is ItemStatus.PUBLISHED)
        except Exception:
            log.exception("could not set the visibility of video %s's media", video_id)


def follow_publication(session_factory: sessionmaker[Session], storage: Storage) -> None:
    """After every commit that publishes or unpublishes items, sync their videos' media."""

    @event.listens_for(session_factory, "after_flush")
    def _after_flush(session: Session, _context: object) -> None:
        for row in session.dirty:
            if isinstance(row, Item) and inspect(row).attrs.status.history.has_changes():
                session.info.setdefault(_PUBLICATION_CHANGED, set()).add(row.id)

    @event.listens_for(session_factory, "after_commit")
    def _after_commit(session: Session) -> None:
        item_ids = session.info.pop(_PUBLICATION_CHANGED, None)
        if not item_ids:
            return
        with session_factory() as reader:
            video_ids = reader.scalars(select(Video.id).where(Video.item_id.in_(item_ids))).all()
        if video_ids:
            sync_visibility(storage, session_factory, video_ids)

    @event.listens_for(session_factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop(_PUBLICATION_CHANGED, None)
