"""Transcode jobs: claim by compare-and-set, keep a lease by heartbeat, hand out again what a
dead worker left. The job row is the truth; the queue only carries ids and may lose them."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from motpub.media.models.transcode_job import JobStatus, TranscodeJob
from motpub.codes.models.label_job import LabelJob
from motpub.media.models.image import Image
from motpub.media.models.image_job import ImageJob
from motpub.media.models.video import AudioTrack, Video, VideoStatus
from motpub.orm import utcnow
from motpub.database import rows_changed


# Transcode and image jobs share their columns and these rules; a label job has its own.
Job = TranscodeJob | ImageJob
JobTable = type[TranscodeJob] | type[ImageJob]


def claim_job(session: Session, job_id: int, worker_id: str, *, lease_s: float,
              table: JobTable = TranscodeJob) -> bool:
    """Take a queued job, or a running one whose lease ran out; False if another worker has
    it or it is finished. The WHERE clause makes this safe between any number of workers."""
    now = utcnow()
    result = session.execute(
        update(table)
        .where(
            table.id == job_id,
            table.attempts < table.max_attempts,
            or_(table.status == JobStatus.QUEUED,
                (table.status == JobStatus.RUNNING)
                & (table.lease_expires_at < now)),
        )
        .values(status=JobStatus.RUNNING, worker_id=worker_id,
                attempts=table.attempts + 1, started_at=now, heartbeat_at=now,
                lease_expires_at=now + dt.timedelta(seconds=lease_s), error=None)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result) == 1


def renew_lease(session: Session, job_id: int, worker_id: str, *, lease_s: float,
                progress: float, stage: str, table: JobTable = TranscodeJob) -> bool:
    """Heartbeat: extend the lease and record progress; False when the job is no longer ours."""
    now = utcnow()
    result = session.execute(
        update(table)
        .where(table.id == job_id, table.worker_id == worker_id,
               table.status == JobStatus.RUNNING)
        .values(heartbeat_at=now, lease_expires_at=now + dt.timedelta(seconds=lease_s),
                progress=progress, stage=stage)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result) != 1:
        return False
    if table is ImageJob:
        session.execute(update(Image).where(Image.id == select(ImageJob.image_id).where(
            ImageJob.id == job_id).scalar_subquery()).values(status=VideoStatus.PROCESSING)
            .execution_options(synchronize_session=False))
        return True
    video_id, audio_track_id = session.execute(
        select(TranscodeJob.video_id, TranscodeJob.audio_track_id)
        .where(TranscodeJob.id == job_id)).one()
    if audio_track_id is not None:  # a dub's encode: the video itself plays on as it is
        session.execute(update(AudioTrack).where(AudioTrack.id == audio_track_id)
                        .values(status=VideoStatus.PROCESSING)
                        .execution_options(synchronize_session=False))
        return True
    session.execute(update(Video).where(Video.id == video_id)
                    .values(progress=min(max(progress, 0.0), 1.0),
                            status=VideoStatus.PROCESSING)
                    .execution_options(synchronize_session=False))
    return True


def owned_job(session: Session, job_id: int, worker_id: str) -> TranscodeJob | None:
    """The job, locked for update, if this worker still holds it."""
    return _owned(session, TranscodeJob, job_id, worker_id)


def owned_image_job(session: Session, job_id: int, worker_id: str) -> ImageJob | None:
    return _owned(session, ImageJob, job_id, worker_id)


_J = TypeVar("_J", TranscodeJob, ImageJob)


def _owned(session: Session, table: type[_J], job_id: int, worker_id: str) -> _J | None:
    job = session.scalar(select(table).where(table.id == job_id).with_for_update())
    if job is None or job.worker_id != worker_id or job.status is not JobStatus.RUNNING:
        return None
    return job


def finish_job(job: Job) -> None:
    job.status = JobStatus.SUCCEEDED
    job.progress = 1.0
    job.finished_at = utcnow()
    job.lease_expires_at = None


def fail_attempt(job: Job, error: str, *, is_final: bool) -> bool:
    """Record a failed attempt; returns True when the job will be tried again."""
    job.error = error[-8000:]
    job.lease_expires_at = None
    if is_final or job.attempts >= job.max_attempts:
        job.status = JobStatus.FAILED
        job.finished_at = utcnow()
        return False
    job.status = JobStatus.QUEUED
    job.heartbeat_at = utcnow()
    return True


def postpone_job(job: Job, error: str) -> None:
    """Queue the job again as if this attempt never happened: the server could not run it
    (a missing tool), so it says nothing about the file and must not use up its attempts."""
    job.error = error[-8000:]
    job.lease_expires_at = None
    job.attempts = max(0, job.attempts - 1)
    job.status = JobStatus.QUEUED
    job.heartbeat_at = utcnow()


def jobs_to_requeue(session: Session, *, stale_queued_s: float = 300) -> list[int]:
    """Jobs a worker should pick up again: running with an expired lease (the worker died),
    or queued for long with nobody on them (the queue lost the message). Expired jobs that
    used up their attempts are failed here, with the last error kept."""
    now = utcnow()
    expired = session.scalars(
        select(TranscodeJob).where(TranscodeJob.status == JobStatus.RUNNING,
                                   TranscodeJob.lease_expires_at < now)
    ).all()
    ids = []
    for job in expired:
        if job.attempts >= job.max_attempts:
            fail_attempt(job, (job.error or "") + "\nthe worker stopped answering; "
                         "no attempts left", is_final=True)
            failed: Video | AudioTrack = job.audio_track or job.video
            failed.status = VideoStatus.FAILED
            failed.error_code, failed.error_args = "processing_stopped", {}
        else:
            job.status = JobStatus.QUEUED
            job.heartbeat_at = now
            ids.append(job.id)
    # heartbeat_at of a queued job is when it was last handed to the queue.
    stale = session.scalars(
        select(TranscodeJob).where(
            TranscodeJob.status == JobStatus.QUEUED,
            TranscodeJob.heartbeat_at < now - dt.timedelta(seconds=stale_queued_s))
    ).all()
    for job in stale:
        job.heartbeat_at = now
        ids.append(job.id)
    session.flush()
    return ids


def image_jobs_to_requeue(session: Session, *, stale_queued_s: float = 300) -> list[int]:
    """The image jobs to hand out again, by the same rules as jobs_to_requeue."""
    now = utcnow()
    ids = []
    for job in session.scalars(select(ImageJob).where(
            ImageJob.status == JobStatus.RUNNING, ImageJob.lease_expires_at < now)).all():
        if job.attempts >= job.max_attempts:
            fail_attempt(job, (job.error or "") + "\nthe worker stopped answering; "
                         "no attempts left", is_final=True)
            job.image.status = VideoStatus.FAILED
            job.image.error_code, job.image.error_args = "processing_stopped", {}
        else:
            job.status, job.heartbeat_at = JobStatus.QUEUED, now
            ids.append(job.id)
    for job in session.scalars(select(ImageJob).where(
            ImageJob.status == JobStatus.QUEUED,
            ImageJob.heartbeat_at < now - dt.timedelta(seconds=stale_queued_s))).all():
        job.heartbeat_at = now
        ids.append(job.id)
    session.flush()
    return ids


COUNTED_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED)


def count_jobs(session: Session) -> dict[tuple[str, str], int]:
    """Jobs queued, running and failed, by (kind, status), zeros included: one grouped
    count on each job table's status index."""
    counts = {}
    tables: tuple[tuple[str, type[TranscodeJob] | type[LabelJob] | type[ImageJob]], ...] = (
        ("transcode", TranscodeJob), ("label", LabelJob), ("image", ImageJob))
    for kind, table in tables:
        counts.update(dict.fromkeys(((kind, status.value) for status in COUNTED_JOB_STATUSES), 0))
        for status, number in session.execute(
                select(table.status, func.count()).where(
                    table.status.in_(COUNTED_JOB_STATUSES)).group_by(table.status)):
            counts[(kind, JobStatus(status).value)] = number
    return counts
