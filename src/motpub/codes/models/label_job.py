from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from motpub.orm import Base, utcnow
from motpub.media.models.transcode_job import JobStatus


class LabelJob(Base):
    """A label sheet too large to draw inside a request, built by a worker.

    Like a transcode job, the row is the truth and the queue only carries its id: a worker
    claims it with a compare-and-set and keeps a lease by heartbeat while drawing, and the
    sweeper hands out again a job whose worker died. The finished PDF lives in storage.
    """

    __tablename__ = "label_job"
    __table_args__ = (
        Index("ix_label_job_status_lease_expires_at", "status", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exhibition_id: Mapped[int] = mapped_column(
        ForeignKey("exhibition.id", ondelete="CASCADE"), index=True)
    template: Mapped[str] = mapped_column(String(16))
    # The titles' languages, comma-separated in the order asked for; NULL on jobs queued
    # before sheets had a choice, which print the default (the first two configured).
    languages: Mapped[str | None] = mapped_column(String(400))
    status: Mapped[JobStatus] = mapped_column(default=JobStatus.QUEUED)
    label_count: Mapped[int] = mapped_column(default=0)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    storage_key: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3)
    worker_id: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[dt.datetime | None]
    heartbeat_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
