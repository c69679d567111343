"""Dubs: a ready video's sound in another content language, uploaded as an audio file and
encoded alone (motpub.media.services.dubbing) into an HLS audio rendition that the video's
master playlists offer. The video is never encoded again for a dub.

A dub is checked in the request, so the editor hears at once what is wrong with the file:
it must be sound only, and last as long as the video.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from motpub.avtools.errors import MediaError
from motpub.avtools.probe import MediaInfo, probe
from motpub.database import after_commit
from motpub.errors import Conflict, Invalid
from motpub.events import AudioTracksChanged, emit
from motpub.i18n import own_name
from motpub.inputs import Input, Language
from motpub.media.models.transcode_job import ACTIVE_JOB_STATUSES, TranscodeJob
from motpub.media.models.video import AudioTrack, MediaKind, Video, VideoStatus
from motpub.media.services.masters import rewrite_masters
from motpub.media.services.messages import joined_message
from motpub.orm import utcnow
from motpub.storage import Storage

# A WAV of the longest video we take (15 minutes, 48 kHz stereo) is 173 MB.
MAX_AUDIO_TRACK_BYTES = 256 * 1024 * 1024
# How far a dub's length may be from the video's: a second, or 2 % of a long video.
DURATION_TOLERANCE_S = 1.0
DURATION_TOLERANCE_RATIO = 0.02


class AudioTrackLanguage(Input):
    """The language of a dub, as the multipart form names it."""

    language: Language


class AudioTrackUpload(AudioTrackLanguage):
    """The multipart form of a dub: its language and its audio file."""

    file: bytes = Field(description=(
        f"the sound only (MP3, M4A, AAC, WAV...), at most {MAX_AUDIO_TRACK_BYTES} bytes, "
        "as long as the video (within 1 s, or 2 % of a longer video)"))


def duration_tolerance_s(video_duration_s: float) -> float:
    return max(DURATION_TOLERANCE_S, DURATION_TOLERANCE_RATIO * video_duration_s)


def length_text(seconds: float) -> str:
    """A duration as 1:02.5: minutes, seconds and tenths."""
    minutes, rest = divmod(round(seconds, 1), 60)
    return f"{int(minutes)}:{rest:04.1f}"


def _check_video(video: Video) -> None:
    if video.kind is not MediaKind.VIDEO:
        raise Conflict(joined_message("dub_needs_video"))
    if video.language is None:
        raise Conflict(joined_message("dub_needs_speech"))
    if not video.is_ready or not video.version or not video.duration_s:
        raise Conflict(joined_message("dub_video_not_ready"))


def check_audio(info: MediaInfo, video: Video) -> None:
    """Invalid when the probed file cannot be the video's dub."""
    if info.kind != "audio":
        raise Invalid(joined_message("dub_has_picture"), field="file")
    assert video.duration_s is not None
    tolerance = duration_tolerance_s(video.duration_s)
    if abs(info.duration_s - video.duration_s) > tolerance:
        raise Invalid(joined_message("dub_length", {
            "dub": length_text(info.duration_s), "video": length_text(video.duration_s),
            "tolerance": length_text(tolerance)}), field="file")


def _safe_filename(filename: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip(".-")[:80]
    return stem or "dub"


def add_audio_track(session: Session, storage: Storage, video: Video, language: str,
                    path: Path, filename: str, *,
                    enqueue_transcode: Callable[[int], object]) -> AudioTrack:
    """Check a dub's file (at `path`, a local copy), store it as the source of the video's
    dub in `language` and queue its encode. A dub already in that language plays on until
    the new one is encoded."""
    _check_video(video)
    if language == video.language:
        raise Invalid(joined_message("dub_own_language", {"language": own_name(language)}),
                      field="language")
    size_bytes = path.stat().st_size
    if not 0 < size_bytes <= MAX_AUDIO_TRACK_BYTES:
        raise Invalid(joined_message("dub_size", {"limit": MAX_AUDIO_TRACK_BYTES}), field="file")
    track = next((t for t in video.audio_tracks if t.language == language), None)
    if track is not None and _active_job(session, track) is not None:
        raise Conflict(joined_message("dub_busy", {"language": own_name(language)}))
    try:
        info = probe(path)
    except MediaError as error:
        raise Invalid(joined_message(error.code, error.params), field="file") from None
    check_audio(info, video)
    source_key = (f"sources/{video.id}/audio/{language}-{secrets.token_hex(4)}/"
                  f"{_safe_filename(filename)}")
    storage.put_file(source_key, path)
    if track is None:
        track = AudioTrack(language=language, source_key=source_key, filename=filename[:255],
                           size_bytes=size_bytes)
        video.audio_tracks.append(track)
    else:
        after_commit(session, functools.partial(storage.delete, track.source_key))
        track.source_key, track.filename, track.size_bytes = (
            source_key, filename[:255], size_bytes)
    track.status, track.duration_s = VideoStatus.QUEUED, info.duration_s
    track.error_code = track.error_args = None
    job = TranscodeJob(video=video, audio_track=track, heartbeat_at=utcnow())
    session.add(job)
    session.flush()
    job_id = job.id
    after_commit(session, lambda: enqueue_transcode(job_id))
    return track


def _active_job(session: Session, track: AudioTrack) -> int | None:
    return session.scalar(select(TranscodeJob.id).where(
        TranscodeJob.audio_track_id == track.id, TranscodeJob.status.in_(ACTIVE_JOB_STATUSES)))


def delete_audio_track(session: Session, storage: Storage, video: Video, language: str) -> bool:
    """Remove the video's dub in `language`, if it has one; its files go once this commits
    (an encode in progress finds its job gone and drops what it made)."""
    track = next((t for t in video.audio_tracks if t.language == language), None)
    if track is None:
        return False
    video.audio_tracks.remove(track)
    video.item.touch()
    session.flush()
    old_keys = [track.source_key, *rewrite_masters(storage, video)]
    if track.master_key:
        old_keys.append(track.master_key)
    for key in old_keys:
        after_commit(session, functools.partial(storage.delete, key))
    if track.playlist_key:
        after_commit(session, functools.partial(storage.delete_prefix,
                                                track_prefix(track.playlist_key)))
    emit(session, AudioTracksChanged(video.id))
    return True


def track_prefix(playlist_key: str) -> str:
    """The folder of one encode of a dub: `videos/<id>/audio/<language>-<token>/`."""
    return playlist_key.rsplit("/", 1)[0] + "/"
