"""Captions: SRT or WebVTT per language, served as <track> files and as HLS subtitle
renditions in the master playlist. Adding one rewrites the master playlist under a new key;
no video is encoded again."""

from __future__ import annotations

import posixpath
import secrets

from sqlalchemy.orm import Session

from motpub.domain import LANGUAGES, Caption, Video
from motpub.media.captions import captions_to_webvtt
from motpub.media.hls import SubtitleTrack, Variant, master_playlist, subtitle_playlist
from motpub.media.errors import MediaError
from motpub.services.errors import Conflict, Invalid
from motpub.storage import Storage

MAX_CAPTION_BYTES = 2 * 1024 * 1024
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


def subtitle_tracks(video: Video, master_prefix: str) -> list[SubtitleTrack]:
    """The video's captions as the master playlist at `master_prefix` refers to them."""
    return [
        SubtitleTrack(language=caption.language, name=LANGUAGE_NAMES[caption.language],
                      uri=posixpath.relpath(caption.playlist_key, master_prefix.rstrip("/")))
        for caption in video.captions
    ]


def variants_of(video: Video) -> list[Variant]:
    return [
        Variant(name=r.name, playlist=posixpath.relpath(r.playlist_key, video.version.rstrip("/")),
                width=r.width or 0, height=r.height or 0, bandwidth=r.bandwidth,
                average_bandwidth=r.average_bandwidth, codecs=r.codecs,
                frame_rate=r.frame_rate, is_audio_only=r.width is None)
        for r in video.renditions
    ]


def add_caption(session: Session, storage: Storage, video: Video, *, language: object,
                data: bytes) -> tuple[Caption, list[str]]:
    """Store a caption file; returns the caption and the keys to delete after the commit."""
    if language not in LANGUAGES:
        raise Invalid('language must be "zh" or "en"', field="language")
    if not data:
        raise Invalid("the caption file is empty", field="file")
    if len(data) > MAX_CAPTION_BYTES:
        raise Invalid(f"the caption file is larger than {MAX_CAPTION_BYTES} bytes", field="file")
    if video.kind.value != "video":
        raise Conflict("captions belong to videos, not audio guides")
    try:
        # With the X-TIMESTAMP-MAP header Apple's players need for HLS WebVTT.
        vtt = captions_to_webvtt(data, timestamp_map=True)
    except MediaError as error:
        raise Invalid(f"{error.reason_en} / {error.reason_zh}", field="file") from None
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
    return caption, old_keys


def delete_caption(session: Session, storage: Storage, video: Video, language: str) -> list[str]:
    caption = next((c for c in video.captions if c.language == language), None)
    if caption is None:
        return []
    video.captions.remove(caption)
    video.item.touch()
    session.flush()
    return [caption.vtt_key, caption.playlist_key, *rewrite_master(storage, video)]


def rewrite_master(storage: Storage, video: Video) -> list[str]:
    """Write the master playlist again, with today's captions, under a new key."""
    if not video.version or not video.renditions:
        return []
    key = f"{video.version}master-{secrets.token_hex(4)}.m3u8"
    text = master_playlist(variants_of(video), subtitle_tracks(video, video.version))
    storage.put_bytes(key, text.encode(), content_type="application/vnd.apple.mpegurl")
    old = [video.master_key] if video.master_key else []
    video.master_key = key
    return old
