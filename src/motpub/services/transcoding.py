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
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy.orm import Session

from motpub.domain import MediaKind, Rendition, Video, VideoStatus
from motpub.media.errors import FFmpegError, MediaError, ToolMissing
from motpub.media.hls import CONTENT_TYPES, Variant, master_playlist
from motpub.media.audio import transcode_audio
from motpub.media.ladder import plan_ladder, transcode_ladder
from motpub.media.poster import make_poster
from motpub.media.preview import make_first_playable
from motpub.media.probe import check_media, probe
from motpub.services.captions import subtitle_tracks
from motpub.services.media_access import sync_visibility
from motpub.services.jobs import (claim_job, fail_attempt, finish_job, owned_job, postpone_job,
                                  renew_lease)
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


class JobLost(Exception):
    """Another worker took the job over (our lease ran out); stop without publishing."""


class Heartbeat:
    """Renews the job's lease while the work runs, and carries its progress."""

    def __init__(self, worker: Worker, job_id: int):
        self.worker, self.job_id = worker, job_id
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
        with self.worker.session_factory() as session, session.begin():
            if not renew_lease(session, self.job_id, self.worker.worker_id,
                               lease_s=self.worker.lease_s, progress=self.progress,
                               stage=self.stage):
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
    with worker.session_factory() as session, session.begin():
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
        outcome = _publish(worker, job_id, prefix, kind, variants, poster_key)
        # The new objects were written private; public now if the item is published.
        sync_visibility(worker.storage, worker.session_factory, [video_id])
        return outcome
    except JobLost:
        worker.storage.delete_prefix(prefix)
        return TranscodeOutcome.LOST
    except ToolMissing as error:
        log.error("job %s postponed: %s", job_id, error.message)
        worker.storage.delete_prefix(prefix)
        return _postpone(worker, job_id, error.message)
    except MediaError as error:
        worker.storage.delete_prefix(prefix)
        return _record_failure(worker, job_id, str(error), error.reason_en, error.reason_zh,
                               is_final=True)
    except Exception as error:  # recorded on the job row, then retried or failed for good
        log.exception("job %s failed", job_id)
        worker.storage.delete_prefix(prefix)
        detail = error.stderr_tail if isinstance(error, FFmpegError) else repr(error)
        # Shown only once no attempt is left: while one is, the video is simply queued again.
        if isinstance(error, StorageError):  # the server's disk or bucket, not the file
            reason_en, reason_zh = (
                "The server's storage failed on every attempt (it may be full). Retry later; "
                "if it fails again, ask the operator to check the server's storage.",
                "服务器存储多次出错（可能已满）。请稍后重试；如果仍然失败，请联系管理员检查服务器存储。")
        else:
            reason_en, reason_zh = (
                "Processing failed on every attempt. Retry it; if it fails again, replace the "
                "file with another export (MP4, H.264), or ask the operator to check the server "
                "if other files fail too.",
                "多次尝试处理均失败。请重试；如果仍然失败，请换一个导出的文件（MP4，H.264），"
                "如果其他文件也失败，请联系管理员检查服务器。")
        return _record_failure(worker, job_id, detail, reason_en, reason_zh, is_final=False)


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
        with worker.session_factory() as session, session.begin():
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
            with worker.session_factory() as session, session.begin():
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
    """Switch the video to the new version in one transaction, then drop the old one."""
    with worker.session_factory() as session, session.begin():
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
        video.item.touch()  # cached pages of the item are stale now
        video.error_en = video.error_zh = None
        finish_job(job)
    _delete_other_versions(worker.storage, prefix)
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
    with worker.session_factory() as session, session.begin():
        job = owned_job(session, job_id, worker.worker_id)
        if job is None:
            return TranscodeOutcome.LOST
        postpone_job(job, detail)
        video = job.video
        video.status = VideoStatus.QUEUED
        video.error_en, video.error_zh = (
            "The server is missing a program it needs to process media (ffmpeg). Your file "
            "is kept and will be processed once the operator installs it; nothing to do on "
            "your side.",
            "服务器缺少处理媒体所需的程序（ffmpeg）。您的文件已保存，管理员安装后将自动处理，"
            "您无需任何操作。")
    return TranscodeOutcome.POSTPONED


def _record_failure(worker: Worker, job_id: int, detail: str, reason_en: str, reason_zh: str,
                    *, is_final: bool) -> TranscodeOutcome:
    with worker.session_factory() as session, session.begin():
        job = owned_job(session, job_id, worker.worker_id)
        if job is None:
            return TranscodeOutcome.LOST
        will_retry = fail_attempt(job, detail, is_final=is_final)
        video = job.video
        if will_retry:
            video.status = VideoStatus.QUEUED
        else:
            video.status = VideoStatus.FAILED
            video.error_en, video.error_zh = reason_en, reason_zh
    return TranscodeOutcome.RETRY if will_retry else TranscodeOutcome.FAILED
