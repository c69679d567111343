"""A dub's encode is a transcode job like a video's (claim, lease, bounded attempts, the
sweeper), but what it reports and what fails is the dub: the video plays on as it is."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError

from motpub.items.models import Item
from motpub.media.models.transcode_job import JobStatus, TranscodeJob
from motpub.media.models.video import AudioTrack, MediaKind, Video, VideoStatus
from motpub.media.services.jobs import claim_job, jobs_to_requeue, renew_lease
from motpub.orm import utcnow


def ready_video_with_dub_job(session, **fields) -> TranscodeJob:
    item = Item(slug=f"item-{utcnow().timestamp()}", title={"en": "x"})
    video = Video(item=item, kind=MediaKind.VIDEO, language="zh", filename="a.mp4",
                  content_type="video/mp4", size_bytes=1, source_key="sources/1/a",
                  part_size_bytes=1, status=VideoStatus.READY, progress=1.0)
    track = AudioTrack(video=video, language="en", filename="en.m4a", size_bytes=1,
                       source_key="sources/1/audio/en/en.m4a")
    job = TranscodeJob(video=video, audio_track=track, heartbeat_at=utcnow(), **fields)
    session.add(job)
    session.commit()
    return job


def test_a_dubs_heartbeat_moves_the_dub_not_the_video(session):
    job = ready_video_with_dub_job(session)
    assert claim_job(session, job.id, "w", lease_s=60)
    assert renew_lease(session, job.id, "w", lease_s=60, progress=0.5, stage="audio")
    session.commit()
    session.refresh(job.video)
    session.refresh(job.audio_track)
    assert job.audio_track.status is VideoStatus.PROCESSING
    assert job.video.status is VideoStatus.READY and job.video.progress == 1.0


def test_a_dub_whose_worker_died_on_its_last_attempt_fails_alone(session):
    job = ready_video_with_dub_job(session, max_attempts=1)
    assert claim_job(session, job.id, "w", lease_s=60)
    session.commit()
    session.refresh(job)
    job.lease_expires_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    assert jobs_to_requeue(session) == []
    session.commit()
    assert job.status is JobStatus.FAILED
    assert job.audio_track.status is VideoStatus.FAILED
    assert job.audio_track.error_code == "processing_stopped"
    assert job.video.status is VideoStatus.READY and job.video.error_code is None


def test_dubs_of_one_video_encode_side_by_side_but_one_job_per_dub(session):
    job = ready_video_with_dub_job(session)
    other = AudioTrack(video=job.video, language="fr", filename="fr.m4a", size_bytes=1,
                       source_key="sources/1/audio/fr/fr.m4a")
    # Another dub's job, and the video's own transcode, may run meanwhile.
    session.add_all([TranscodeJob(video=job.video, audio_track=other, heartbeat_at=utcnow()),
                     TranscodeJob(video=job.video, heartbeat_at=utcnow())])
    session.commit()
    session.add(TranscodeJob(video=job.video, audio_track=job.audio_track,
                             heartbeat_at=utcnow()))
    with pytest.raises(IntegrityError):
        session.commit()
