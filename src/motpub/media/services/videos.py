"""Videos and audio guides: direct multipart uploads, their completion, captions, deletion."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from pydantic import ConfigDict, Field, StrictInt, StrictStr, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from motpub.media.models.transcode_job import ACTIVE_JOB_STATUSES, TranscodeJob
from motpub.orm import utcnow
from motpub.items.models import Item
from motpub.media.models.image import Image, ImageStatus
from motpub.media.models.video import MediaKind, Video, VideoStatus
from motpub.errors import Conflict, Invalid, NotFound
from motpub.inputs import Language, refusal
from motpub.database import after_commit
from motpub.media.services.uploads import (  # the video API's names, as they were
    MAX_PARTS as MAX_PARTS, UPLOAD_PART_BYTES as UPLOAD_PART_BYTES,
    CompletedUpload as CompletedUpload, UploadedPart as UploadedPart, UploadPlan as UploadPlan,
    FileToUpload, assemble_parts, start_multipart)
from motpub.storage import Storage

AUDIO_TYPES = {"audio/mpeg", "audio/mp3", "audio/mp4", "audio/x-m4a", "audio/m4a", "audio/aac",
               "audio/x-aac", "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"}
VIDEO_TYPES = {"video/mp4", "video/quicktime", "video/x-matroska", "video/webm",
               "video/x-msvideo", "video/mpeg", "video/mp2t", "video/3gpp", "video/x-m4v"}


class UploadRequest(FileToUpload):
    """The file about to be uploaded, or to replace a video's file."""

    # Unknown keys were always ignored here; the studio sends `language` on a replacement too.
    model_config = ConfigDict(extra="ignore")
    language: Language | None = Field(
        default=None, description="the language spoken, or null for any (a new video only)")
    size_bytes: StrictInt = Field(gt=0, description="at most MOTPUB_MAX_UPLOAD_BYTES")
    content_type: StrictStr = Field(
        json_schema_extra={"enum": sorted(VIDEO_TYPES | AUDIO_TYPES)},
        description="a video or audio type; parameters after `;` and letter case are ignored")

    @field_validator("content_type")
    @classmethod
    def _media_type(cls, value: str) -> str:
        value = value.split(";")[0].strip().lower()
        if declared_kind(value) is None:
            raise refusal(f"unsupported content_type {value!r}: upload a video "
                          "(MP4, MOV, MKV, WebM) or audio (MP3, M4A, AAC, WAV)")
        return value

    @property
    def kind(self) -> MediaKind:
        kind = declared_kind(self.content_type)
        assert kind is not None  # the validator refused any other type
        return kind


def _check_size(data: UploadRequest, max_bytes: int) -> None:
    if data.size_bytes > max_bytes:
        raise Invalid(f"the file is {data.size_bytes} bytes; the limit is {max_bytes}",
                      field="size_bytes")


def declared_kind(content_type: str) -> MediaKind | None:
    """What the upload said the file was, by its content type."""
    if content_type in VIDEO_TYPES:
        return MediaKind.VIDEO
    if content_type in AUDIO_TYPES:
        return MediaKind.AUDIO
    return None


def kind_notice(video: Video) -> tuple[str, dict[str, str]] | None:
    """A note for the editor when the file turned out to be other than it was declared:
    the probe decides, so a video sent as audio/mpeg is published as a video. A message id
    (motpub.media.services.messages) and its values."""
    declared = declared_kind(video.content_type)
    if declared is None or declared is video.kind or not video.version:
        return None
    code = ("sent_as_audio_holds_video" if video.kind is MediaKind.VIDEO
            else "sent_as_video_holds_audio")
    return code, {"content_type": video.content_type}


def _start_multipart(storage: Storage, video: Video, size_bytes: int,
                     app_part_url: Callable[[Video, int], str], url_expires_s: int) -> UploadPlan:
    plan = start_multipart(storage, video, size_bytes,
                           key_prefix=f"sources/{video.id}/{secrets.token_urlsafe(8)}/",
                           app_part_url=lambda number: app_part_url(video, number),
                           url_expires_s=url_expires_s)
    video.status = VideoStatus.UPLOADING
    return plan


def request_upload(
    session: Session,
    storage: Storage,
    item: Item,
    data: UploadRequest,
    *,
    max_bytes: int,
    app_part_url: Callable[[Video, int], str],
    url_expires_s: int = 24 * 3600,
) -> tuple[Video, UploadPlan]:
    """Start a resumable upload: the row, the storage's multipart upload, and its part URLs."""
    _check_size(data, max_bytes)
    video = Video(item=item, kind=data.kind, language=data.language, filename=data.filename,
                  content_type=data.content_type, size_bytes=data.size_bytes, source_key="",
                  part_size_bytes=UPLOAD_PART_BYTES, status=VideoStatus.UPLOADING)
    session.add(video)
    session.flush()
    plan = _start_multipart(storage, video, data.size_bytes, app_part_url, url_expires_s)
    session.flush()
    return video, plan


def restart_upload(session: Session, storage: Storage, video: Video, data: UploadRequest, *,
                   max_bytes: int, app_part_url: Callable[[Video, int], str],
                   url_expires_s: int = 24 * 3600) -> UploadPlan:
    """Replace a video's file. Its current renditions stay in use until the new ones are."""
    if session.scalar(select(TranscodeJob.id).where(
            TranscodeJob.video_id == video.id, TranscodeJob.audio_track_id.is_(None),
            TranscodeJob.status.in_(ACTIVE_JOB_STATUSES))) is not None:
        raise Conflict(f"video {video.id} is being processed; replace it when that ends")
    _check_size(data, max_bytes)
    if data.kind is not video.kind:
        raise Invalid(f"this is a {video.kind.value}; replace it with the same kind of file",
                      field="content_type")
    if video.upload_id:
        storage.abort_multipart(video.source_key, video.upload_id)
    elif video.source_key and storage.exists(video.source_key):  # a file to go back to
        video.replacing = {"source_key": video.source_key, "filename": video.filename,
                           "content_type": video.content_type, "size_bytes": video.size_bytes}
    video.filename, video.content_type = data.filename, data.content_type
    plan = _start_multipart(storage, video, data.size_bytes, app_part_url, url_expires_s)
    session.flush()
    return plan


def get_video(session: Session, video_id: int) -> Video:
    video = session.get(Video, video_id)
    if video is None:
        raise NotFound(f"no video with id {video_id}")
    return video


def complete_upload(session: Session, storage: Storage, video: Video, data: CompletedUpload,
                    *, enqueue_transcode: Callable[[int], object]) -> TranscodeJob:
    """Assemble the uploaded parts and queue the transcode (enqueued once this commits)."""
    if video.status is not VideoStatus.UPLOADING or video.upload_id is None:
        raise Conflict(f"video {video.id} is not being uploaded (status {video.status.value})")
    assemble_parts(storage, video, data)
    video.replacing = None
    video.size_bytes = storage.size_bytes(video.source_key)
    return queue_transcode(session, video, enqueue_transcode)


def cancel_upload(session: Session, storage: Storage, video: Video) -> None:
    """Stop an upload in progress. A replacement goes back to the file in use, and the
    video to what it was; a first upload leaves a failed video, to upload again or delete."""
    if video.status is not VideoStatus.UPLOADING or video.upload_id is None:
        raise Conflict(f"video {video.id} is not being uploaded (status {video.status.value})")
    storage.abort_multipart(video.source_key, video.upload_id)
    _give_up_upload(video, "upload_cancelled")
    session.flush()


def _give_up_upload(video: Video, reason: str) -> None:
    video.upload_id = None
    previous, video.replacing = video.replacing, None
    if previous:
        for field in ("source_key", "filename", "content_type", "size_bytes"):
            setattr(video, field, previous[field])
    if video.master_key:  # a replacement: the current renditions stay in use
        video.status = VideoStatus.READY
    else:
        video.status = VideoStatus.FAILED
        if not (previous and video.error_code):  # a failed file keeps the reason it failed
            video.error_code, video.error_args = reason, {}


def queue_transcode(session: Session, video: Video,
                    enqueue_transcode: Callable[[int], object]) -> TranscodeJob:
    """A new job for the video. Its id is enqueued once the row is committed: a worker that
    picks the message up finds it."""
    active = session.scalar(select(TranscodeJob).where(
        TranscodeJob.video_id == video.id, TranscodeJob.audio_track_id.is_(None),
        TranscodeJob.status.in_(ACTIVE_JOB_STATUSES)))
    if active is not None:
        raise Conflict(f"video {video.id} is already being processed")
    video.status = VideoStatus.QUEUED
    video.progress = 0.0
    video.error_code = video.error_args = None
    job = TranscodeJob(video=video, heartbeat_at=utcnow())
    session.add(job)
    session.flush()
    job_id = job.id
    after_commit(session, lambda: enqueue_transcode(job_id))
    return job


def retry_video(session: Session, video: Video, *,
                enqueue_transcode: Callable[[int], object]) -> TranscodeJob:
    if video.status not in (VideoStatus.FAILED, VideoStatus.READY):
        raise Conflict(f"video {video.id} cannot be retried while {video.status.value}")
    return queue_transcode(session, video, enqueue_transcode)


def delete_video(session: Session, storage: Storage, video: Video) -> None:
    """Delete the row; once that commits, the upload in progress and the files go too."""
    upload = (video.source_key, video.upload_id) if video.upload_id else None
    prefixes = [f"sources/{video.id}/", f"videos/{video.id}/"]
    video.item.touch()
    session.delete(video)
    session.flush()

    def delete_files() -> None:
        if upload:
            storage.abort_multipart(*upload)
        for prefix in prefixes:
            storage.delete_prefix(prefix)

    after_commit(session, delete_files)


def abandon_uploads(session: Session, storage: Storage, *, older_than_s: int) -> int:
    """Abort multipart uploads nobody finished, and mark their videos and images failed."""
    count = 0
    for key, upload_id in storage.abandoned_uploads(older_than_s):
        storage.abort_multipart(key, upload_id)
        video = session.scalar(select(Video).where(Video.upload_id == upload_id))
        if video is not None and video.status is VideoStatus.UPLOADING:
            _give_up_upload(video, "upload_abandoned")
        image = session.scalar(select(Image).where(Image.upload_id == upload_id))
        if image is not None and image.status is ImageStatus.UPLOADING:
            image.upload_id, image.status = None, ImageStatus.FAILED
            image.error_code, image.error_args = "upload_abandoned", {}
        count += 1
    return count
