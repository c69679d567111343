"""Captions: SRT or WebVTT per language, served as <track> files and as HLS subtitle
renditions in the master playlists. Adding one rewrites the master playlists under new keys
(motpub.media.services.masters); no video is encoded again."""

from __future__ import annotations

import functools
import posixpath
import secrets

from pydantic import Field, field_validator
from sqlalchemy.orm import Session

from motpub.media.models.video import Caption, Video
from motpub.avtools.captions import captions_to_webvtt
from motpub.avtools.hls import subtitle_playlist
from motpub.avtools.errors import MediaError
from motpub.errors import Conflict, Invalid
from motpub.media.services.masters import (  # noqa: F401 (their old home)
    rewrite_masters, subtitle_tracks, variants_of)
from motpub.media.services.messages import joined_message
from motpub.inputs import Input, Language, refusal
from motpub.database import after_commit
from motpub.events import CaptionsChanged, emit
from motpub.storage import Storage

MAX_CAPTION_BYTES = 2 * 1024 * 1024


class CaptionUpload(Input):
    """The multipart form of a caption: its language and its SRT or WebVTT file."""

    language: Language
    file: bytes = Field(description=f"SRT or WebVTT in UTF-8, at most {MAX_CAPTION_BYTES} bytes")

    @field_validator("file")
    @classmethod
    def _sized(cls, value: bytes) -> bytes:
        if not value:
            raise refusal("the caption file is empty")
        if len(value) > MAX_CAPTION_BYTES:
            raise refusal(f"the caption file is larger than {MAX_CAPTION_BYTES} bytes")
        return value


def add_caption(session: Session, storage: Storage, video: Video,
                upload: CaptionUpload) -> Caption:
    """Store a caption file; the files it replaces are deleted once this commits."""
    language, data = upload.language, upload.file
    if video.kind.value != "video":
        raise Conflict("captions belong to videos, not audio guides")
    try:
        # With the X-TIMESTAMP-MAP header Apple's players need for HLS WebVTT.
        vtt = captions_to_webvtt(data, timestamp_map=True)
    except MediaError as error:
        raise Invalid(joined_message(error.code, error.params), field="file") from None
    token = secrets.token_hex(4)
    base = f"videos/{video.id}/captions/{language}-{token}"
    storage.put_bytes(base + ".vtt", vtt.encode(), content_type="text/vtt")
    storage.put_bytes(base + ".m3u8",
                      subtitle_playlist(posixpath.basename(base) + ".vtt",
                                        video.duration_s or 1.0).encode(),
                      content_type="application/vnd.apple.mpegurl")
    old_keys: list[str] = []
    caption = next((c for c in video.captions if c.language == language), None)
    if caption is None:
        caption = Caption(language=language, vtt_key=base + ".vtt",
                          playlist_key=base + ".m3u8")
        video.captions.append(caption)
    else:
        old_keys += [caption.vtt_key, caption.playlist_key]
        caption.vtt_key, caption.playlist_key = base + ".vtt", base + ".m3u8"
    video.item.touch()
    session.flush()
    old_keys += rewrite_master(storage, video)
    _after_change(session, storage, video, old_keys)
    return caption


def delete_caption(session: Session, storage: Storage, video: Video, language: str) -> bool:
    """Remove the caption in `language`, if the video has one (its files go once this
    commits); False if it has none."""
    caption = next((c for c in video.captions if c.language == language), None)
    if caption is None:
        return False
    video.captions.remove(caption)
    video.item.touch()
    session.flush()
    _after_change(session, storage, video,
                  [caption.vtt_key, caption.playlist_key, *rewrite_master(storage, video)])
    return True


def _after_change(session: Session, storage, video: Video, old_keys: list[str]) -> None:
    """Once committed, the files no page uses any more go, and the subscribers hear of it
    (the new files were written private)."""
    for key in old_keys:
        after_commit(session, functools.partial(storage.delete, key))
    emit(session, CaptionsChanged(video.id))


def rewrite_master(storage: Storage, video: Video) -> list[str]:
    """Write the master playlists again, with today's captions, under new keys."""
    return rewrite_masters(storage, video)
