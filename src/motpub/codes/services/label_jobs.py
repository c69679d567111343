"""Large label sheets as queue jobs: drawing is about 38 ms a label, so a sheet of thousands
would hold a web thread for minutes. Up to `max_direct_labels` the sheet is drawn in the
request as before; beyond, a `label_job` row is queued, a worker draws the PDF with a lease
kept by heartbeat (as transcode jobs do), stores it, and the client polls the job."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from motpub.exhibitions.models import Exhibition
from motpub.media.models.transcode_job import JobStatus
from motpub.codes.models.label_job import LabelJob
from motpub.orm import utcnow
from motpub.printing.labels import FontMissing, label_sheet, Typefaces
from motpub.errors import Conflict, NotFound
from motpub.codes.services.labels import (
    check_template, default_sheet_languages, exhibition_labels)
from motpub.database import after_commit, rows_changed, unit_of_work
from motpub.storage.base import Storage

log = logging.getLogger(__name__)
HEARTBEAT_S = 2.0


class LabelOutcome(StrEnum):
    """How one attempt of a label job ended."""

    SUCCEEDED = "succeeded"
    SKIPPED = "skipped"  # another worker holds it, or it is finished or gone
    RETRY = "retry"  # failed; queue it again after the retry delay
    FAILED = "failed"  # failed for good


def queue_label_job(session: Session, exhibition: Exhibition, *, template: str,
                    label_count: int, enqueue: Callable[[int], object],
                    languages: Sequence[str] | None = None) -> LabelJob:
    """The unfinished job for this sheet if there is one (asking twice builds it once),
    else a new queued one; its id is enqueued once the row is committed, so the worker
    finds it."""
    check_template(template)
    joined = ",".join(languages or default_sheet_languages())
    job = session.scalar(select(LabelJob).where(
        LabelJob.exhibition_id == exhibition.id, LabelJob.template == template,
        LabelJob.languages == joined,
        LabelJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING])))
    if job is None:
        job = LabelJob(exhibition_id=exhibition.id, template=template, languages=joined,
                       label_count=label_count, status=JobStatus.QUEUED, heartbeat_at=utcnow())
        session.add(job)
        session.flush()
    job_id = job.id
    after_commit(session, lambda: enqueue(job_id))
    return job


def job_languages(job: LabelJob) -> tuple[str, ...]:
    """The languages a job prints; a job from before the choice prints the default."""
    return tuple(job.languages.split(",")) if job.languages else default_sheet_languages()


def get_label_job(session: Session, job_id: int) -> LabelJob:
    job = session.get(LabelJob, job_id)
    if job is None:
        raise NotFound(f"no label job {job_id}")
    return job


def finished_sheet_key(job: LabelJob) -> str:
    if job.status is not JobStatus.SUCCEEDED or not job.storage_key:
        raise Conflict(f"the label sheet is not ready: the job is {job.status.value}")
    return job.storage_key


def _claim(session: Session, job_id: int, worker_id: str, *, lease_s: float) -> bool:
    now = utcnow()
    result = session.execute(
        update(LabelJob)
        .where(LabelJob.id == job_id, LabelJob.attempts < LabelJob.max_attempts,
               or_(LabelJob.status == JobStatus.QUEUED,
                   (LabelJob.status == JobStatus.RUNNING) & (LabelJob.lease_expires_at < now)))
        .values(status=JobStatus.RUNNING, worker_id=worker_id, attempts=LabelJob.attempts + 1,
                heartbeat_at=now, lease_expires_at=now + dt.timedelta(seconds=lease_s),
                error=None)
        .execution_options(synchronize_session=False))
    return rows_changed(result) == 1


def _renew(session: Session, job_id: int, worker_id: str, *, lease_s: float,
           progress: float) -> bool:
    now = utcnow()
    result = session.execute(
        update(LabelJob)
        .where(LabelJob.id == job_id, LabelJob.worker_id == worker_id,
               LabelJob.status == JobStatus.RUNNING)
        .values(heartbeat_at=now, lease_expires_at=now + dt.timedelta(seconds=lease_s),
                progress=progress)
        .execution_options(synchronize_session=False))
    return rows_changed(result) == 1


@dataclass(frozen=True)
class LabelWorker:
    session_factory: Callable[[], Session]
    storage: Storage
    worker_id: str
    lease_s: float
    public_url: str
    font_path: Path | None = None  # MOTPUB_CJK_FONT_PATH: the font of every CJK title


class _LostLease(Exception):
    pass


def build_label_sheet(worker: LabelWorker, job_id: int) -> LabelOutcome:
    """Draw, store and record one job's sheet."""
    factory = worker.session_factory
    with unit_of_work(factory) as session:
        if not _claim(session, job_id, worker.worker_id, lease_s=worker.lease_s):
            return LabelOutcome.SKIPPED
    try:
        with factory() as session:
            job = session.get(LabelJob, job_id)
            if job is None:  # its exhibition was deleted meanwhile
                return LabelOutcome.SKIPPED
            exhibition = session.get_one(Exhibition, job.exhibition_id)
            languages = job_languages(job)
            labels = exhibition_labels(exhibition, public_url=worker.public_url,
                                       languages=languages)
            template = job.template
        pdf = label_sheet(labels, template=template, languages=languages,
                          typefaces=Typefaces(worker.font_path),
                          on_label=_heartbeat(worker, job_id, len(labels)))
    except FontMissing as error:
        return _fail(worker, job_id, str(error), is_final=True)
    except _LostLease:
        return LabelOutcome.SKIPPED
    except Exception as error:  # recorded on the row and tried again, as transcodes are
        log.exception("label job %s failed", job_id)
        return _fail(worker, job_id, f"{type(error).__name__}: {error}", is_final=False)
    key = f"labels/{job_id}/{secrets.token_hex(8)}.pdf"
    worker.storage.put_bytes(key, pdf, content_type="application/pdf")
    with unit_of_work(factory) as session:
        job = session.scalar(select(LabelJob).where(LabelJob.id == job_id).with_for_update())
        if job is None or job.worker_id != worker.worker_id \
                or job.status is not JobStatus.RUNNING:
            worker.storage.delete(key)
            return LabelOutcome.SKIPPED
        job.status, job.progress, job.storage_key = JobStatus.SUCCEEDED, 1.0, key
        job.label_count, job.finished_at, job.lease_expires_at = len(labels), utcnow(), None
    return LabelOutcome.SUCCEEDED


def _heartbeat(worker: LabelWorker, job_id: int, total: int) -> Callable[[int], None]:
    last = time.monotonic()

    def on_label(done: int) -> None:
        nonlocal last
        if time.monotonic() - last < HEARTBEAT_S:
            return
        last = time.monotonic()
        with unit_of_work(worker.session_factory) as session:
            if not _renew(session, job_id, worker.worker_id, lease_s=worker.lease_s,
                          progress=round(done / max(total, 1), 3)):
                raise _LostLease()

    return on_label


def _fail(worker: LabelWorker, job_id: int, error: str, *, is_final: bool) -> LabelOutcome:
    with unit_of_work(worker.session_factory) as session:
        job = session.get(LabelJob, job_id)
        if job is None or job.worker_id != worker.worker_id:
            return LabelOutcome.SKIPPED
        job.error, job.lease_expires_at = error[-4000:], None
        if is_final or job.attempts >= job.max_attempts:
            job.status, job.finished_at = JobStatus.FAILED, utcnow()
            return LabelOutcome.FAILED
        job.status, job.heartbeat_at = JobStatus.QUEUED, utcnow()
        return LabelOutcome.RETRY


def label_jobs_to_requeue(session: Session, *, stale_queued_s: float) -> list[int]:
    """Running jobs whose lease ran out (the worker died) and queued jobs nobody took for
    long (the queue lost the message); jobs out of attempts are failed instead."""
    now = utcnow()
    ids = []
    for job in session.scalars(select(LabelJob).where(
            or_((LabelJob.status == JobStatus.RUNNING) & (LabelJob.lease_expires_at < now),
                (LabelJob.status == JobStatus.QUEUED)
                & (LabelJob.heartbeat_at < now - dt.timedelta(seconds=stale_queued_s))))):
        if job.status is JobStatus.RUNNING and job.attempts >= job.max_attempts:
            job.status, job.finished_at = JobStatus.FAILED, now
            job.error = (job.error or "") + "\nthe worker stopped answering; no attempts left"
            continue
        job.status, job.heartbeat_at = JobStatus.QUEUED, now
        ids.append(job.id)
    session.flush()
    return ids
