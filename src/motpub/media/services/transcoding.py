"""The transcode of one video, end to end, as run by a worker.

Every attempt writes under a new version prefix. The video switches to that version in one
transaction, and only when every object of it is stored, so a visitor never sees half a
ladder; the superseded version is deleted after the switch.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy.orm import Session

from motpub.media.models.video import MediaKind, Rendition, Video, VideoStatus
from motpub.avtools.errors import FFmpegError, MediaError, ToolMissing
from motpub.avtools.hls import CONTENT_TYPES, master_playlist, Variant
from motpub.avtools.audio import transcode_audio
from motpub.avtools.ladder import plan_ladder, transcode_ladder
from motpub.avtools.poster import make_poster
from motpub.avtools.preview import make_first_playable
from motpub.avtools.probe import check_media, probe
from motpub.media.services.masters import rewrite_masters, subtitle_tracks
from motpub.media.models.transcode_job import TranscodeJob
from motpub.media.services.jobs import (
    JobTable, claim_job, fail_attempt, finish_job, owned_job, postpone_job, renew_lease)
from motpub.media.services.messages import log_message
from motpub.database import after_commit, unit_of_work
from motpub.events import emit, VideoFailed, VideoReady
from motpub.storage import Storage, StorageError

log = logging.getLogger(__name__)


class TranscodeOutcome(StrEnum):
    """How one attempt of a transcode job ended."""

    READY = "ready"
    LOST = "lost"  # another worker holds the job
    RETRY = "retry"  # failed; queue it again after the retry delay
    FAILED = "failed"  # failed for good
    POSTPONED = "postponed"  # a tool is missing; the attempt does not count


@dataclass(frozen=True)
class Worker:
    session_factory: Callable[[], Session]
    storage: Storage
    worker_id: str
    lease_s: float = 60.0
    max_media_seconds: float = 900.0
    stall_timeout_s: float = 120.0
    max_image_pixels: int = 200_000_000


class JobLost(Exception):
    """Another worker took the job over (our lease ran out); stop without publishing."""


class Heartbeat:
    """Renews the job's lease while the work runs, and carries its progress."""

    def __init__(self, worker: Worker, job_id: int, table: JobTable = TranscodeJob):
        self.worker, self.job_id, self.table = worker, job_id, table
        self.progress, self.stage, self.is_lost = 0.0, "starting", False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}",
                                        daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def beat(self) -> None:
        with unit_of_work(self.worker.session_factory) as session:
            if not renew_lease(session, self.job_id, self.worker.worker_id,
                               lease_s=self.worker.lease_s, progress=self.progress,
                               stage=self.stage, table=self.table):
                self.is_lost = True

    def _run(self) -> None:
        while not self._stop.wait(self.worker.lease_s / 3):
            try:
                self.beat()
            except Exception:
                log.exception("heartbeat of job %s failed; retrying", self.job_id)

    def tracker(self, stage: str, start: float, end: float) -> Callable[[float], None]:
        def on_progress(fraction: float) -> None:
            if self.is_lost:
                raise JobLost(f"job {self.job_id} was taken over")
            self.stage = stage
            self.progress = start + (end - start) * min(max(fraction, 0.0), 1.0)

        return on_progress


def _upload_tree(storage: Storage, directory: Path, prefix: str) -> None:
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            key = prefix + path.relative_to(directory).as_posix()
            storage.put_file(key, path, content_type=CONTENT_TYPES.get(path.suffix))


def transcode_video(worker: Worker, job_id: int) -> TranscodeOutcome:
    """Run one attempt of a job; POSTPONED when the server lacks a tool (the attempt does
    not count; retry after a longer delay)."""
    with unit_of_work(worker.session_factory) as session:
        if not claim_job(session, job_id, worker.worker_id, lease_s=worker.lease_s):
            return TranscodeOutcome.LOST
        job = owned_job(session, job_id, worker.worker_id)
        assert job is not None  # claimed just now, in this transaction
        video_id, source_key = job.video_id, job.video.source_key
        job.video.status = VideoStatus.PROCESSING
    prefix = f"videos/{video_id}/v{secrets.token_hex(6)}/"
    try:
        with Heartbeat(worker, job_id) as heartbeat:
            kind, variants, poster_key = _process(worker, heartbeat, video_id, source_key,
                                                  prefix)
            if heartbeat.is_lost:
                raise JobLost(f"job {job_id} was taken over")
        return _publish(worker, job_id, prefix, kind, variants, poster_key)
    except JobLost:
        worker.storage.delete_prefix(prefix)
        return TranscodeOutcome.LOST
    except ToolMissing as error:
        log.error("job %s postponed: %s", job_id, error.message)
        worker.storage.delete_prefix(prefix)
        return _postpone(worker, job_id, error.message)
    except MediaError as error:
        worker.storage.delete_prefix(prefix)
        return _record_failure(worker, job_id, log_message(error.code, error.params),
                               error.code, error.params, is_final=True)
    except Exception as error:  # recorded on the job row, then retried or failed for good
        log.exception("job %s failed", job_id)
        worker.storage.delete_prefix(prefix)
        detail = error.stderr_tail if isinstance(error, FFmpegError) else repr(error)
        # Shown only once no attempt is left: while one is, the video is simply queued again.
        # The server's disk or bucket, not the file.
        reason = "storage_failed" if isinstance(error, StorageError) else "processing_failed"
        return _record_failure(worker, job_id, detail, reason, {}, is_final=False)


def _process(worker: Worker, heartbeat: Heartbeat, video_id: int, source_key: str,
             prefix: str) -> tuple[MediaKind, list[Variant], str | None]:
    """Probe, transcode and store every object under `prefix`; returns what the file turned
    out to be, the variants and the poster.

    The probe decides, not the content type the upload declared: a file with a picture is a
    video, one with sound only an audio guide (the API tells the editor when they differ).
    """
    with tempfile.TemporaryDirectory(prefix="motpub-") as tmp, \
            worker.storage.local_path(source_key) as source:
        work = Path(tmp)
        heartbeat.stage = "probe"
        info = probe(source)
        check_media(info, max_seconds=worker.max_media_seconds)
        with unit_of_work(worker.session_factory) as session:
            video = session.get_one(Video, video_id)
            video.duration_s, video.width, video.height = info.duration_s, info.width, info.height
        if info.kind == "audio":
            variants = [transcode_audio(source, work, info, stall_timeout_s=worker.stall_timeout_s,
                                        on_progress=heartbeat.tracker("audio", 0.0, 0.9))]
            poster = None
        else:
            preview = make_first_playable(source, work, info,
                                          stall_timeout_s=worker.stall_timeout_s,
                                          on_progress=heartbeat.tracker("preview", 0.0, 0.1))
            _upload_tree(worker.storage, work / Path(preview.playlist).parent,
                         prefix + Path(preview.playlist).parent.as_posix() + "/")
            with unit_of_work(worker.session_factory) as session:
                session.get_one(Video, video_id).preview_key = prefix + preview.playlist
            variants = transcode_ladder(source, work, info, plan_ladder(info),
                                        stall_timeout_s=worker.stall_timeout_s,
                                        on_progress=heartbeat.tracker("ladder", 0.1, 0.9))
            poster = make_poster(source, work / "poster.jpg", info)
        heartbeat.stage = "upload"
        for variant in variants:
            folder = Path(variant.playlist).parent
            _upload_tree(worker.storage, work / folder, prefix + folder.as_posix() + "/")
        if poster is not None:
            worker.storage.put_file(prefix + poster.name, poster,
                                    content_type=CONTENT_TYPES.get(poster.suffix))
        with worker.session_factory() as session:
            video = session.get_one(Video, video_id)
            tracks = subtitle_tracks(video, prefix)
        worker.storage.put_bytes(prefix + "master.m3u8",
                                 master_playlist(variants, tracks).encode(),
                                 content_type=CONTENT_TYPES[".m3u8"])
        heartbeat.progress = 0.99
        return (MediaKind(info.kind), variants,
                prefix + poster.name if poster is not None else None)


def _publish(worker: Worker, job_id: int, prefix: str, kind: MediaKind, variants: list[Variant],
             poster_key: str | None) -> TranscodeOutcome:
    """Switch the video to the new version in one transaction, then drop the old one and
    tell the subscribers (the new objects were written private: media_access makes them
    public if the item is published)."""
    with unit_of_work(worker.session_factory) as session:
        job = owned_job(session, job_id, worker.worker_id)
        if job is None:
            raise JobLost(f"job {job_id} was taken over")
        video = job.video
        video.kind = kind  # switched with the renditions, so a page never mixes the two
        video.version = prefix
        video.master_key = prefix + "master.m3u8"
        video.poster_key = poster_key
        video.renditions = [
            Rendition(name=v.name, playlist_key=prefix + v.playlist, width=v.width,
                      height=v.height, bandwidth=v.bandwidth,
                      average_bandwidth=v.average_bandwidth, codecs=v.codecs,
                      frame_rate=v.frame_rate)
            for v in variants
        ]
        video.status, video.progress = VideoStatus.READY, 1.0
        if video.audio_tracks:  # its dubs (kept outside the versions) join the new masters
            rewrite_masters(worker.storage, video, master_key=prefix + "master.m3u8")
        video.item.touch()  # cached pages of the item are stale now
        video.error_code = video.error_args = None
        finish_job(job)
        after_commit(session, lambda: _delete_other_versions(worker.storage, prefix))
        emit(session, VideoReady(video.id, video.item_id))
    return TranscodeOutcome.READY


def _delete_other_versions(storage: Storage, current: str) -> None:
    """Drop every version but the current one: the superseded one, and any that a worker
    killed mid-upload left behind (one job per video at a time, so none is in use)."""
    video_prefix = current.rstrip("/").rsplit("/", 1)[0] + "/"
    versions = {key[len(video_prefix):].split("/", 1)[0]
                for key in storage.list_keys(video_prefix)}
    for version in versions:
        prefix = f"{video_prefix}{version}/"
        if version.startswith("v") and prefix != current:
            storage.delete_prefix(prefix)


def _postpone(worker: Worker, job_id: int, detail: str) -> TranscodeOutcome:
    """Queue the job again without counting the attempt: the file was never tried. The
    editor reads that the server is at fault, until an attempt succeeds."""
    with unit_of_work(worker.session_factory) as session:
        job = owned_job(session, job_id, worker.worker_id)
        if job is None:
            return TranscodeOutcome.LOST
        postpone_job(job, detail)
        video = job.video
        video.status = VideoStatus.QUEUED
        video.error_code, video.error_args = "tool_missing", {}
    return TranscodeOutcome.POSTPONED


def _record_failure(worker: Worker, job_id: int, detail: str, reason: str,
                    reason_args: Mapping[str, object], *, is_final: bool) -> TranscodeOutcome:
    with unit_of_work(worker.session_factory) as session:
        job = owned_job(session, job_id, worker.worker_id)
        if job is None:
            return TranscodeOutcome.LOST
        will_retry = fail_attempt(job, detail, is_final=is_final)
        video = job.video
        if will_retry:
            video.status = VideoStatus.QUEUED
        else:
            video.status = VideoStatus.FAILED
            video.error_code, video.error_args = reason, dict(reason_args)
            emit(session, VideoFailed(video.id, video.item_id))
    return TranscodeOutcome.RETRY if will_retry else TranscodeOutcome.FAILED
