"""A ready video's master playlists: its renditions, its captions and its sound in every
language it has, written under its version prefix.

A master playlist says which audio rendition plays first (DEFAULT=YES), and that depends on
the visitor: so a video with dubs has one master in which its own sound is the default
(`video.master_key`) and one per dub in which that dub is (`AudioTrack.master_key`). Each is
a small stored object under a key of its own that never changes, cached like the segments;
the page of a language names the one of its language. Adding captions or a dub writes them
all again under new keys; no video is encoded again.
"""

from __future__ import annotations

import posixpath
import secrets

from motpub.avtools.hls import (
    AUDIO_CODEC, AudioRendition, CONTENT_TYPES, SubtitleTrack, Variant, master_playlist)
from motpub.i18n import own_name
from motpub.media.models.video import AudioTrack, Video
from motpub.storage import Storage


def _relative(key: str, master_prefix: str) -> str:
    return posixpath.relpath(key, master_prefix.rstrip("/"))


def subtitle_tracks(video: Video, master_prefix: str) -> list[SubtitleTrack]:
    """The video's captions as the master playlist at `master_prefix` refers to them."""
    return [SubtitleTrack(language=caption.language, name=own_name(caption.language),
                          uri=_relative(caption.playlist_key, master_prefix))
            for caption in video.captions]


def variants_of(video: Video) -> list[Variant]:
    assert video.version is not None  # only a transcoded video has renditions
    return [
        Variant(name=r.name, playlist=_relative(r.playlist_key, video.version),
                width=r.width or 0, height=r.height or 0, bandwidth=r.bandwidth,
                average_bandwidth=r.average_bandwidth, codecs=r.codecs,
                frame_rate=r.frame_rate, is_audio_only=r.width is None)
        for r in video.renditions
    ]


def playable_tracks(video: Video) -> list[AudioTrack]:
    """The dubs whose encode is stored, in the order of their languages."""
    return [track for track in video.audio_tracks if track.playlist_key is not None]


def audio_renditions(video: Video, master_prefix: str, *, default: str | None,
                     has_own_sound: bool) -> list[AudioRendition]:
    """The video's sound in each language it has, `default`'s first to play; none without
    a dub, so a video without dubs keeps the master it always had."""
    tracks = playable_tracks(video)
    if not tracks:
        return []
    own = ([AudioRendition(video.language, own_name(video.language), None,
                           video.language == default)]
           if has_own_sound and video.language else [])
    assert all(track.playlist_key for track in tracks)
    return own + [AudioRendition(track.language, own_name(track.language),
                                 _relative(str(track.playlist_key), master_prefix),
                                 track.language == default)
                  for track in tracks]


def has_sound(variants: list[Variant]) -> bool:
    return any(AUDIO_CODEC in variant.codecs.split(",") for variant in variants)


def rewrite_masters(storage: Storage, video: Video, *, master_key: str | None = None
                    ) -> list[str]:
    """Write every master playlist of the video again, with today's captions and dubs: the
    one of its own sound at `master_key` (a new key when not given), and one per dub.
    Returns the keys they replace, to delete once the change is committed."""
    if not video.version or not video.renditions:
        return []
    prefix = video.version
    variants = variants_of(video)
    subtitles = subtitle_tracks(video, prefix)
    own_sound = has_sound(variants)
    old = [video.master_key] if video.master_key and video.master_key != master_key else []
    video.master_key = master_key or _new_key(prefix, "master")
    _put(storage, video.master_key, master_playlist(
        variants, subtitles, audio_renditions(video, prefix, default=video.language,
                                              has_own_sound=own_sound)))
    for track in video.audio_tracks:
        if track.master_key:
            old.append(track.master_key)
            track.master_key = None
        if track.playlist_key is None:
            continue
        track.master_key = _new_key(prefix, f"master-{track.language}")
        _put(storage, track.master_key, master_playlist(
            variants, subtitles, audio_renditions(video, prefix, default=track.language,
                                                  has_own_sound=own_sound)))
    return old


def _new_key(prefix: str, stem: str) -> str:
    return f"{prefix}{stem}-{secrets.token_hex(4)}.m3u8"


def _put(storage: Storage, key: str, text: str) -> None:
    storage.put_bytes(key, text.encode(), content_type=CONTENT_TYPES[".m3u8"])
