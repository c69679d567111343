from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from motpub.orm import Base, utcnow
from motpub.media.models.video import Video


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


ACTIVE_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class TranscodeJob(Base):
    """The truth about a transcode in progress; the queue only carries its id.

    A worker claims the row with a compare-and-set and keeps a lease by heartbeat. A job
    whose lease ran out (its worker died) is handed out again by the sweeper, until
    `attempts` reaches `max_attempts`.
    """

    __tablename__ = "transcode_job"
    __table_args__ = (
        # At most one unfinished job per video.
        Index("uq_transcode_job_active_video_id", "video_id", unique=True,
              sqlite_where=text("status IN ('queued', 'running')"),
              postgresql_where=text("status IN ('queued', 'running')")),
        Index("ix_transcode_job_status_lease_expires_at", "status", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("video.id", ondelete="CASCADE"))
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
