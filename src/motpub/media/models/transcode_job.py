from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from motpub.orm import Base, utcnow
from motpub.media.models.video import AudioTrack, Video


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


ACTIVE_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
ACTIVE_JOB = "status IN ('queued', 'running')"
ACTIVE_VIDEO_JOB = ACTIVE_JOB + " AND audio_track_id IS NULL"


class TranscodeJob(Base):
    """The truth about a transcode in progress; the queue only carries its id.

    A worker claims the row with a compare-and-set and keeps a lease by heartbeat. A job
    whose lease ran out (its worker died) is handed out again by the sweeper, until
    `attempts` reaches `max_attempts`. A job with an `audio_track_id` encodes that dub
    alone; the video is not encoded again.
    """

    __tablename__ = "transcode_job"
    __table_args__ = (
        # At most one unfinished transcode per video, and one per dub.
        Index("uq_transcode_job_active_video_id", "video_id", unique=True,
              sqlite_where=text(ACTIVE_VIDEO_JOB),
              postgresql_where=text(ACTIVE_VIDEO_JOB)),
        Index("uq_transcode_job_active_audio_track_id", "audio_track_id", unique=True,
              sqlite_where=text(ACTIVE_JOB), postgresql_where=text(ACTIVE_JOB)),
        Index("ix_transcode_job_status_lease_expires_at", "status", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("video.id", ondelete="CASCADE"))
    audio_track_id: Mapped[int | None] = mapped_column(
        ForeignKey("audio_track.id", ondelete="CASCADE"))
    status: Mapped[JobStatus] = mapped_column(default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3)
    worker_id: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[dt.datetime | None]
    heartbeat_at: Mapped[dt.datetime | None]
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(32), default="")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]

    video: Mapped[Video] = relationship()
    audio_track: Mapped[AudioTrack | None] = relationship()
