"""Domain events: what happened to the content, told once the change is committed.

A service emits an event on its session (`emit`); the event reaches the subscribers only
after that session commits, and never if it rolls back. Who hears of what is said in one
place: the `Subscribers` that create_app fills and attaches to the session factory, so a
webhook or an audit log is one more `subscribe` there.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from motpub.database import after_commit

log = logging.getLogger(__name__)

_SUBSCRIBERS = "motpub.subscribers"


@dataclass(frozen=True)
class ItemPublished:
    item_id: int


@dataclass(frozen=True)
class ItemUnpublished:
    item_id: int


@dataclass(frozen=True)
class VideoReady:
    """A transcode finished: the video (or audio guide) plays its new renditions."""

    video_id: int
    item_id: int


@dataclass(frozen=True)
class VideoFailed:
    """A transcode failed for good: no attempt is left, or the file cannot be played."""

    video_id: int
    item_id: int


@dataclass(frozen=True)
class CaptionsChanged:
    video_id: int


@dataclass(frozen=True)
class AudioTracksChanged:
    """A dub of the video was encoded or removed: its master playlists changed."""

    video_id: int


@dataclass(frozen=True)
class CodeRetargeted:
    """A printed code now leads to another item."""

    code_id: int
    code: str
    from_item_id: int | None
    to_item_id: int


Event = (ItemPublished | ItemUnpublished | VideoReady | VideoFailed | CaptionsChanged
         | AudioTracksChanged | CodeRetargeted)


class Subscribers:
    """Who hears of each kind of event, in the order they subscribed."""

    def __init__(self) -> None:
        self._handlers: dict[type, list[Callable]] = defaultdict(list)

    def subscribe(self, event_type: type, handler: Callable) -> None:
        self._handlers[event_type].append(handler)

    def publish(self, event: Event) -> None:
        """Call every handler of `event`; one that fails is logged and the others still
        hear of it (the change is committed whatever a subscriber does)."""
        for handler in self._handlers.get(type(event), ()):
            try:
                handler(event)
            except Exception:
                log.exception("a subscriber of %s failed", type(event).__name__)

    def attach(self, session_factory: sessionmaker) -> None:
        """Every session of `session_factory` tells these subscribers what it emits."""
        info = dict(session_factory.kw.get("info") or {})
        info[_SUBSCRIBERS] = self
        session_factory.configure(info=info)


def emit(session: Session, event: Event) -> None:
    """Tell the subscribers about `event` once `session` commits; a rollback drops it."""
    subscribers = session.info.get(_SUBSCRIBERS)
    if subscribers is not None:
        after_commit(session, lambda: subscribers.publish(event))
