"""The job row is the truth: compare-and-set claims, leases, bounded attempts, the sweeper."""

from __future__ import annotations

import datetime as dt

from motpub.items.models import Item
from motpub.media.models.transcode_job import JobStatus, TranscodeJob
from motpub.media.models.video import MediaKind, Video, VideoStatus
from motpub.orm import utcnow
from motpub.media.services.jobs import claim_job, fail_attempt, jobs_to_requeue, renew_lease


def new_job(session, **fields) -> TranscodeJob:
    item = Item(slug=f"item-{utcnow().timestamp()}", title={"en": "x"})
    video = Video(item=item, kind=MediaKind.VIDEO, filename="a.mp4", content_type="video/mp4",
                  size_bytes=1, source_key="sources/1/a", part_size_bytes=1,
                  status=VideoStatus.QUEUED)
    job = TranscodeJob(video=video, heartbeat_at=utcnow(), **fields)
    session.add(job)
    session.commit()
    return job


def test_only_one_of_two_workers_claims_a_job(session):
    job = new_job(session)
    assert claim_job(session, job.id, "worker-a", lease_s=60) is True
    assert claim_job(session, job.id, "worker-b", lease_s=60) is False
    session.commit()
    session.refresh(job)
    assert job.worker_id == "worker-a" and job.attempts == 1
    assert job.status is JobStatus.RUNNING


def test_an_expired_lease_can_be_claimed_by_another_worker(session):
    job = new_job(session)
    claim_job(session, job.id, "worker-a", lease_s=60)
    session.commit()
    job.lease_expires_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    assert claim_job(session, job.id, "worker-b", lease_s=60) is True
    session.commit()
    # The first worker's heartbeat now fails: it has lost the job.
    assert renew_lease(session, job.id, "worker-a", lease_s=60, progress=0.5,
                       stage="ladder") is False
    assert renew_lease(session, job.id, "worker-b", lease_s=60, progress=0.5,
                       stage="ladder") is True


def test_attempts_are_bounded_and_the_last_error_is_kept(session):
    job = new_job(session, max_attempts=2)
    for expected_retry in (True, False):
        assert claim_job(session, job.id, "w", lease_s=60)
        session.commit()
        session.refresh(job)
        assert fail_attempt(job, f"boom {job.attempts}", is_final=False) is expected_retry
        session.commit()
    assert job.status is JobStatus.FAILED and job.error == "boom 2"
    assert claim_job(session, job.id, "w", lease_s=60) is False


def test_sweeper_requeues_dead_workers_jobs_and_fails_exhausted_ones(session):
    alive = new_job(session)
    dead = new_job(session)
    exhausted = new_job(session, max_attempts=1)
    for job in (alive, dead, exhausted):
        claim_job(session, job.id, "w", lease_s=60)
    session.commit()
    for job in (dead, exhausted):
        session.refresh(job)
        job.lease_expires_at = utcnow() - dt.timedelta(seconds=5)
    session.commit()
    assert jobs_to_requeue(session) == [dead.id]
    session.commit()
    for job in (alive, dead, exhausted):
        session.refresh(job)
    assert alive.status is JobStatus.RUNNING
    assert dead.status is JobStatus.QUEUED
    assert exhausted.status is JobStatus.FAILED
    assert exhausted.video.status is VideoStatus.FAILED
    assert exhausted.video.error_code == "processing_stopped"
    # A queued job nobody picked up for long is handed out again, once per sweep window.
    dead.heartbeat_at = utcnow() - dt.timedelta(seconds=600)
    session.commit()
    assert jobs_to_requeue(session, stale_queued_s=300) == [dead.id]
    session.commit()
    assert jobs_to_requeue(session, stale_queued_s=300) == []


def test_one_active_job_per_video_is_enforced_by_the_schema(session):
    import pytest
    from sqlalchemy.exc import IntegrityError

    job = new_job(session)
    session.add(TranscodeJob(video=job.video))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
