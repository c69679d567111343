from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger, CheckConstraint, Float, ForeignKey, JSON, String, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from motpub.orm import Base, utcnow

if TYPE_CHECKING:
    from motpub.items.models import Item


class MediaKind(enum.StrEnum):
    VIDEO = "video"
    AUDIO = "audio"


class VideoStatus(enum.StrEnum):
    UPLOADING = "uploading"
    QUEUED = "queued"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class Video(Base):
    """An uploaded video or audio guide of an item and what it became.

    The database keeps object keys, never URLs. `version` names the set of renditions in
    use; a new transcode writes a new version and the video switches to it only when every
    object of it is in place.
    """

    __tablename__ = "video"
    __table_args__ = (
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    kind: Mapped[MediaKind]
    language: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[VideoStatus] = mapped_column(
                                                default=VideoStatus.UPLOADING)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    source_key: Mapped[str] = mapped_column(String(500))
    upload_id: Mapped[str | None] = mapped_column(String(500))
    # While a replacement file is being uploaded: the file in use (source_key, filename,
    # content_type, size_bytes), to go back to when the replacement is cancelled or abandoned.
    replacing: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    part_size_bytes: Mapped[int] = mapped_column(BigInteger)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    # Why the video failed or waits, for the editor: a message id and its arguments, put
    # into the reader's language when shown (motpub.media.services.messages).
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_args: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    duration_s: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None]
    height: Mapped[int | None]
    version: Mapped[str | None] = mapped_column(String(64))
    master_key: Mapped[str | None] = mapped_column(String(500))
    preview_key: Mapped[str | None] = mapped_column(String(500))
    poster_key: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow,
                                                    onupdate=utcnow)

    item: Mapped[Item] = relationship(back_populates="videos")
    renditions: Mapped[list[Rendition]] = relationship(
        back_populates="video", cascade="all, delete-orphan",
        order_by="Rendition.bandwidth.desc()")
    captions: Mapped[list[Caption]] = relationship(
        back_populates="video", cascade="all, delete-orphan", order_by="Caption.language")
    audio_tracks: Mapped[list[AudioTrack]] = relationship(
        back_populates="video", cascade="all, delete-orphan", order_by="AudioTrack.language")

    @property
    def is_ready(self) -> bool:
        return self.status is VideoStatus.READY


class Rendition(Base):
    """One variant of a ready video's ladder, as listed in its master playlist."""

    __tablename__ = "rendition"

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("video.id", ondelete="CASCADE"),
                                          index=True)
    name: Mapped[str] = mapped_column(String(16))
    playlist_key: Mapped[str] = mapped_column(String(500))
    width: Mapped[int | None]
    height: Mapped[int | None]
    bandwidth: Mapped[int]
    average_bandwidth: Mapped[int]
    codecs: Mapped[str] = mapped_column(String(100))
    frame_rate: Mapped[float | None] = mapped_column(Float)

    video: Mapped[Video] = relationship(back_populates="renditions")


class Caption(Base):
    """Subtitles of a video in one language: a WebVTT file and its HLS playlist."""

    __tablename__ = "caption"

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("video.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    vtt_key: Mapped[str] = mapped_column(String(500))
    playlist_key: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    video: Mapped[Video] = relationship(back_populates="captions")

    __table_args__ = (
        # One caption per language per video: a new upload replaces the row.
        UniqueConstraint("video_id", "language", name="uq_caption_video_id_language"),
    )


class AudioTrack(Base):
    """A dub: the sound of a video in another language, encoded alone as an HLS audio
    rendition that the video's master playlists offer next to the video's own sound.

    Its objects live under `videos/<video id>/audio/`, outside the video's version prefixes,
    so a new transcode of the video keeps them (as it keeps captions). `master_key` is the
    master playlist in which this track is the default: the page of its language plays it.
    """

    __tablename__ = "audio_track"
    __table_args__ = (
        # One dub per language per video: a new upload replaces the row's file.
        UniqueConstraint("video_id", "language", name="uq_audio_track_video_id_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("video.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[VideoStatus] = mapped_column(default=VideoStatus.QUEUED)
    filename: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    source_key: Mapped[str] = mapped_column(String(500))
    duration_s: Mapped[float | None] = mapped_column(Float)
    # What plays: set once the first encode is stored, kept while a replacement is encoded.
    playlist_key: Mapped[str | None] = mapped_column(String(500))
    master_key: Mapped[str | None] = mapped_column(String(500))
    # Why the dub failed, as for videos: a message id and its values.
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_args: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    video: Mapped[Video] = relationship(back_populates="audio_tracks")

    @property
    def is_playable(self) -> bool:
        return self.playlist_key is not None and self.master_key is not None
