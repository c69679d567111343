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

from sqlalchemy import select
from sqlalchemy.orm import Session

from motpub.items.models import Item, ItemStatus
from motpub.media.models.image import Image
from motpub.media.models.video import Video
from motpub.events import (
    AudioTracksChanged, CaptionsChanged, ItemPublished, ItemUnpublished, Subscribers, VideoReady)
from motpub.storage import Storage

log = logging.getLogger(__name__)


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


def image_prefix(image_id: int) -> str:
    return f"images/{image_id}/"


def image_id_of(key: str) -> int | None:
    """The image a media key belongs to ("images/7/v2c9e/640.webp" → 7), if any."""
    first, _, rest = key.partition("/")
    number = rest.partition("/")[0]
    return int(number) if first == "images" and number.isdigit() else None


def is_image_public(session: Session, image_id: int) -> bool:
    """An exhibition's pictures are public (its page is); an item's once it is published."""
    row = session.execute(select(Image.exhibition_id, Item.status)
                          .outerjoin(Item, Image.item_id == Item.id)
                          .where(Image.id == image_id)).first()
    if row is None:
        return False
    return row.exhibition_id is not None or row.status is ItemStatus.PUBLISHED


def sync_image_visibility(storage: Storage, session_factory: Callable[[], Session],
                          image_ids: Iterable[int]) -> None:
    """Make each image's objects as public as its owner, as sync_visibility does videos'."""
    with session_factory() as session:
        states = {image_id: is_image_public(session, image_id) for image_id in image_ids}
    for image_id, public in states.items():
        try:
            storage.set_public(image_prefix(image_id), public)
        except Exception:
            log.exception("could not set the visibility of image %s's media", image_id)


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


def follow_publication(subscribers: Subscribers, session_factory: Callable[[], Session],
                       storage: Storage) -> None:
    """Keep every video's media as public as its item: on publishing and unpublishing, when
    a transcode switches to new renditions (written private) and when captions or dubs change."""

    def item_changed(event: ItemPublished | ItemUnpublished) -> None:
        with session_factory() as reader:
            video_ids = reader.scalars(select(Video.id).where(Video.item_id == event.item_id)
                                       ).all()
            image_ids = reader.scalars(select(Image.id).where(Image.item_id == event.item_id)
                                       ).all()
        if video_ids:
            sync_visibility(storage, session_factory, video_ids)
        if image_ids:
            sync_image_visibility(storage, session_factory, image_ids)

    def video_changed(event: VideoReady | CaptionsChanged | AudioTracksChanged) -> None:
        sync_visibility(storage, session_factory, [event.video_id])

    subscribers.subscribe(ItemPublished, item_changed)
    subscribers.subscribe(ItemUnpublished, item_changed)
    subscribers.subscribe(VideoReady, video_changed)
    subscribers.subscribe(CaptionsChanged, video_changed)
    subscribers.subscribe(AudioTracksChanged, video_changed)
