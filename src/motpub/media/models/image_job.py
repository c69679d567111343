from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from motpub.media.models.image import Image
from motpub.media.models.transcode_job import ACTIVE_JOB, JobStatus
from motpub.orm import Base, utcnow


class ImageJob(Base):
    """The truth about an image's processing in progress, under the transcode jobs' rules:
    claimed by compare-and-set, kept by a heartbeat lease, handed out again by the sweeper
    until `attempts` reaches `max_attempts` (motpub.media.services.jobs, with this table)."""

    __tablename__ = "image_job"
    __table_args__ = (
        # At most one unfinished job per image.
        Index("uq_image_job_active_image_id", "image_id", unique=True,
              sqlite_where=text(ACTIVE_JOB), postgresql_where=text(ACTIVE_JOB)),
        Index("ix_image_job_status_lease_expires_at", "status", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("image.id", ondelete="CASCADE"))
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

    image: Mapped[Image] = relationship()
