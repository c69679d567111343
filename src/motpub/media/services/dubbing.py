"""The encode of one dub, as run by a worker: the same job rows, lease, heartbeat and retries
as a video's transcode, but only the sound is encoded (AAC-LC in fMP4 HLS segments) and the
video's renditions stay as they are.

Each attempt writes under a new folder, `videos/<video id>/audio/<language>-<token>/`; the dub
switches to it in one transaction that also writes the video's master playlists again, and
the folder it replaces is deleted after.
"""

from __future__ import annotations

import functools
import logging
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import select

from motpub.avtools.audio import AUDIO, transcode_audio
from motpub.avtools.errors import FFmpegError, MediaError, ToolMissing
from motpub.avtools.probe import check_media, probe
from motpub.database import after_commit, unit_of_work
from motpub.events import AudioTracksChanged, emit
from motpub.media.models.transcode_job import TranscodeJob
from motpub.media.models.video import AudioTrack, VideoStatus
from motpub.media.services.audio_tracks import track_prefix
from motpub.media.services.jobs import (
    claim_job, fail_attempt, finish_job, owned_job, postpone_job)
from motpub.media.services.masters import rewrite_masters
from motpub.media.services.messages import log_message
from motpub.media.services.transcoding import (
    Heartbeat, JobLost, TranscodeOutcome, Worker, _upload_tree, transcode_video)
from motpub.storage import StorageError

log = logging.getLogger(__name__)


def run_transcode_job(worker: Worker, job_id: int) -> TranscodeOutcome:
    """Run one attempt of a transcode job: a dub's encode when the job names one, else the
    video's transcode."""
    with worker.session_factory() as session:
        audio_track_id = session.scalar(select(TranscodeJob.audio_track_id)
                                        .where(TranscodeJob.id == job_id))
    if audio_track_id is None:
        return transcode_video(worker, job_id)
    return encode_audio_track(worker, job_id)


def encode_audio_track(worker: Worker, job_id: int) -> TranscodeOutcome:
    with unit_of_work(worker.session_factory) as session:
        if not claim_job(session, job_id, worker.worker_id, lease_s=worker.lease_s):
            return TranscodeOutcome.LOST
        job = owned_job(session, job_id, worker.worker_id)
        assert job is not None and job.audio_track is not None  # claimed just now
        track = job.audio_track
        track.status = VideoStatus.PROCESSING
        source_key = track.source_key
        prefix = f"videos/{job.video_id}/audio/{track.language}-{secrets.token_hex(6)}/"
    try:
        with Heartbeat(worker, job_id) as heartbeat:
            _encode(worker, heartbeat, source_key, prefix)
            if heartbeat.is_lost:
                raise JobLost(f"job {job_id} was taken over")
        return _publish(worker, job_id, prefix + "index.m3u8")
    except JobLost:
        worker.storage.delete_prefix(prefix)
        return TranscodeOutcome.LOST
    except ToolMissing as error:
        log.error("job %s postponed: %s", job_id, error.message)
        worker.storage.delete_prefix(prefix)
        return _record(worker, job_id, error.message, "tool_missing", {}, postpone=True)
    except MediaError as error:
        worker.storage.delete_prefix(prefix)
        return _record(worker, job_id, log_message(error.code, error.params), error.code,
                       error.params, is_final=True)
    except Exception as error:  # recorded on the job row, then retried or failed for good
        log.exception("job %s failed", job_id)
        worker.storage.delete_prefix(prefix)
        detail = error.stderr_tail if isinstance(error, FFmpegError) else repr(error)
        reason = "storage_failed" if isinstance(error, StorageError) else "processing_failed"
        return _record(worker, job_id, detail, reason, {})


def _encode(worker: Worker, heartbeat: Heartbeat, source_key: str, prefix: str) -> None:
    """Encode the dub's source and store its rendition under `prefix`."""
    with tempfile.TemporaryDirectory(prefix="motpub-") as tmp, \
            worker.storage.local_path(source_key) as source:
        heartbeat.stage = "probe"
        info = probe(source)
        check_media(info, max_seconds=worker.max_media_seconds)
        if info.kind != "audio":  # checked on upload; a file is what its probe says
            raise MediaError("dub_has_picture")
        transcode_audio(source, Path(tmp), info, stall_timeout_s=worker.stall_timeout_s,
                        on_progress=heartbeat.tracker("audio", 0.0, 0.95))
        heartbeat.stage = "upload"
        _upload_tree(worker.storage, Path(tmp) / AUDIO, prefix)
        heartbeat.progress = 0.99


def _publish(worker: Worker, job_id: int, playlist_key: str) -> TranscodeOutcome:
    """Switch the dub to its new encode and write the video's masters again, in one
    transaction; then drop what they replace."""
    with unit_of_work(worker.session_factory) as session:
        job = owned_job(session, job_id, worker.worker_id)
        if job is None or job.audio_track is None:
            raise JobLost(f"job {job_id} was taken over, or its dub deleted")
        track: AudioTrack = job.audio_track
        replaced = track.playlist_key
        track.playlist_key = playlist_key
        track.status = VideoStatus.READY
        track.error_code = track.error_args = None
        video = track.video
        for key in rewrite_masters(worker.storage, video):
            after_commit(session, functools.partial(worker.storage.delete, key))
        if replaced:
            after_commit(session, functools.partial(worker.storage.delete_prefix,
                                                    track_prefix(replaced)))
        video.item.touch()  # cached pages of the item are stale now
        finish_job(job)
        emit(session, AudioTracksChanged(video.id))
    return TranscodeOutcome.READY


def _record(worker: Worker, job_id: int, detail: str, reason: str,
            reason_args: Mapping[str, object], *, is_final: bool = False,
            postpone: bool = False) -> TranscodeOutcome:
    """A failed attempt on the job and its dub: queued again (a missing tool does not count
    as an attempt), or failed for good with the reason for the editor."""
    with unit_of_work(worker.session_factory) as session:
        job = owned_job(session, job_id, worker.worker_id)
        if job is None or job.audio_track is None:
            return TranscodeOutcome.LOST
        track = job.audio_track
        if postpone:
            postpone_job(job, detail)
            track.status = VideoStatus.QUEUED
            track.error_code, track.error_args = reason, {}
            return TranscodeOutcome.POSTPONED
        will_retry = fail_attempt(job, detail, is_final=is_final)
        track.status = VideoStatus.QUEUED if will_retry else VideoStatus.FAILED
        if not will_retry:
            track.error_code, track.error_args = reason, dict(reason_args)
    return TranscodeOutcome.RETRY if will_retry else TranscodeOutcome.FAILED
