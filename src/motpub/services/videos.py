"""Videos and audio guides: direct multipart uploads, their completion, captions, deletion."""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from motpub.domain import (ACTIVE_JOB_STATUSES, LANGUAGES, Item, MediaKind, TranscodeJob,
                           Video, VideoStatus)
from motpub.domain.base import utcnow
from motpub.services.errors import Conflict, Invalid, NotFound
from motpub.storage import Storage, StorageError, StorageUnavailable

# The smallest part size the API hands out: above the storage's MIN_PART_BYTES, with room.
UPLOAD_PART_BYTES = 8 * 1024 * 1024
MAX_PARTS = 10_000                # S3's limit on parts per upload
AUDIO_TYPES = {"audio/mpeg", "audio/mp3", "audio/mp4", "audio/x-m4a", "audio/m4a", "audio/aac",
               "audio/x-aac", "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"}
VIDEO_TYPES = {"video/mp4", "video/quicktime", "video/x-matroska", "video/webm",
               "video/x-msvideo", "video/mpeg", "video/mp2t", "video/3gpp", "video/x-m4v"}


@dataclass(frozen=True)
class UploadPlan:
    part_size_bytes: int
    parts: list[tuple[int, str]]  # (number, url)


def _safe_filename(filename: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip(".-")[:80]
    return stem or "source"


def _check_file(filename: object, size_bytes: object, content_type: object,
                max_bytes: int) -> tuple[MediaKind, str, str, int]:
    if not isinstance(filename, str) or not filename.strip() or len(filename) > 255:
        raise Invalid("filename must be a non-empty string of at most 255 characters",
                      field="filename")
    if isinstance(size_bytes, bool) or not isinstance(size_bytes, int) or size_bytes <= 0:
        raise Invalid("size_bytes must be a positive whole number", field="size_bytes")
    if size_bytes > max_bytes:
        raise Invalid(f"the file is {size_bytes} bytes; the limit is {max_bytes}",
                      field="size_bytes")
    if not isinstance(content_type, str):
        raise Invalid("content_type must be a string", field="content_type")
    content_type = content_type.split(";")[0].strip().lower()
    if content_type in VIDEO_TYPES:
        return MediaKind.VIDEO, content_type, filename.strip(), size_bytes
    if content_type in AUDIO_TYPES:
        return MediaKind.AUDIO, content_type, filename.strip(), size_bytes
    raise Invalid(f"unsupported content_type {content_type!r}: upload a video "
                  "(MP4, MOV, MKV, WebM) or audio (MP3, M4A, AAC, WAV)", field="content_type")


def declared_kind(content_type: str) -> MediaKind | None:
    """What the upload said the file was, by its content type."""
    if content_type in VIDEO_TYPES:
        return MediaKind.VIDEO
    if content_type in AUDIO_TYPES:
        return MediaKind.AUDIO
    return None


def kind_notice(video: Video) -> tuple[str, str] | None:
    """A note for the editor when the file turned out to be other than it was declared:
    the probe decides, so a video sent as audio/mpeg is published as a video."""
    declared = declared_kind(video.content_type)
    if declared is None or declared is video.kind or not video.version:
        return None
    if video.kind is MediaKind.VIDEO:
        return (f"The file was sent as audio ({video.content_type}) but holds a video: "
                "it is published as a video, not as an audio guide.",
                f"该文件以音频（{video.content_type}）上传，但其中含有视频画面："
                "已作为视频发布，而不是语音导览。")
    return (f"The file was sent as a video ({video.content_type}) but holds sound only: "
            "it is published as an audio guide.",
            f"该文件以视频（{video.content_type}）上传，但其中只有声音：已作为语音导览发布。")


def _start_multipart(storage: Storage, video: Video, size_bytes: int,
                     app_part_url: Callable[[Video, int], str], url_expires_s: int) -> UploadPlan:
    video.size_bytes = size_bytes
    video.part_size_bytes = max(UPLOAD_PART_BYTES,
                                math.ceil(size_bytes / MAX_PARTS / 2**20) * 2**20)
    video.source_key = (f"sources/{video.id}/{secrets.token_urlsafe(8)}/"
                        f"{_safe_filename(video.filename)}")
    video.upload_id = storage.create_multipart(video.source_key,
                                               content_type=video.content_type)
    video.status = VideoStatus.UPLOADING
    numbers = range(1, math.ceil(size_bytes / video.part_size_bytes) + 1)
    return UploadPlan(part_size_bytes=video.part_size_bytes, parts=[
        (n, storage.part_url(video.source_key, video.upload_id, n, expires_s=url_expires_s)
         or app_part_url(video, n))
        for n in numbers
    ])


def request_upload(
    session: Session,
    storage: Storage,
    item: Item,
    *,
    language: object,
    filename: object,
    size_bytes: object,
    content_type: object,
    max_bytes: int,
    app_part_url: Callable[[Video, int], str],
    url_expires_s: int = 24 * 3600,
) -> tuple[Video, UploadPlan]:
    """Start a resumable upload: the row, the storage's multipart upload, and its part URLs."""
    if language not in (None, *LANGUAGES):
        raise Invalid('language must be "zh", "en" or null', field="language")
    kind, content_type, filename, size_bytes = _check_file(filename, size_bytes, content_type,
                                                           max_bytes)
    video = Video(item=item, kind=kind, language=language, filename=filename,
                  content_type=content_type, size_bytes=size_bytes, source_key="",
                  part_size_bytes=UPLOAD_PART_BYTES, status=VideoStatus.UPLOADING)
    session.add(video)
    session.flush()
    plan = _start_multipart(storage, video, size_bytes, app_part_url, url_expires_s)
    session.flush()
    return video, plan


def restart_upload(session: Session, storage: Storage, video: Video, *, filename: object,
                   size_bytes: object, content_type: object, max_bytes: int,
                   app_part_url: Callable[[Video, int], str],
                   url_expires_s: int = 24 * 3600) -> UploadPlan:
    """Replace a video's file. Its current renditions stay in use until the new ones are."""
    if session.scalar(select(TranscodeJob.id).where(
            TranscodeJob.video_id == video.id,
            TranscodeJob.status.in_(ACTIVE_JOB_STATUSES))) is not None:
        raise Conflict(f"video {video.id} is being processed; replace it when that ends")
    kind, content_type, filename, size_bytes = _check_file(filename, size_bytes, content_type,
                                                           max_bytes)
    if kind is not video.kind:
        raise Invalid(f"this is a {video.kind.value}; replace it with the same kind of file",
                      field="content_type")
    if video.upload_id:
        storage.abort_multipart(video.source_key, video.upload_id)
    elif video.source_key and storage.exists(video.source_key):  # a file to go back to
        video.replacing = {"source_key": video.source_key, "filename": video.filename,
                           "content_type": video.content_type, "size_bytes": video.size_bytes}
    video.filename, video.content_type = filename, content_type
    plan = _start_multipart(storage, video, size_bytes, app_part_url, url_expires_s)
    session.flush()
    return plan


def get_video(session: Session, video_id: int) -> Video:
    video = session.get(Video, video_id)
    if video is None:
        raise NotFound(f"no video with id {video_id}")
    return video


def parse_parts(data: object) -> list[tuple[int, str]]:
    parts = data.get("parts") if isinstance(data, dict) else None
    if not isinstance(parts, list) or not parts:
        raise Invalid("parts must be a non-empty list of {\"number\", \"etag\"}", field="parts")
    parsed = []
    for part in parts:
        if not (isinstance(part, dict) and isinstance(part.get("number"), int)
                and not isinstance(part.get("number"), bool)
                and isinstance(part.get("etag"), str) and part["etag"]):
            raise Invalid("each part needs an integer number and a string etag",
                          field="parts")
        parsed.append((part["number"], part["etag"]))
    return parsed


def complete_upload(session: Session, storage: Storage, video: Video,
                    parts: list[tuple[int, str]]) -> TranscodeJob:
    """Assemble the uploaded parts and queue the transcode. The caller enqueues after commit."""
    if video.status is not VideoStatus.UPLOADING or video.upload_id is None:
        raise Conflict(f"video {video.id} is not being uploaded (status {video.status.value})")
    expected = math.ceil(video.size_bytes / video.part_size_bytes)
    if sorted(number for number, _etag in parts) != list(range(1, expected + 1)):
        raise Invalid(f"expected parts 1 to {expected}, each once", field="parts")
    try:
        storage.complete_multipart(video.source_key, video.upload_id, parts)
    except StorageUnavailable:
        raise  # the server's storage, not the parts: 507/503, and completing again resumes
    except StorageError as error:
        raise Invalid(str(error), field="parts") from None
    video.upload_id = None
    video.replacing = None
    video.size_bytes = storage.size_bytes(video.source_key)
    return queue_transcode(session, video)


def cancel_upload(session: Session, storage: Storage, video: Video) -> None:
    """Stop an upload in progress. A replacement goes back to the file in use, and the
    video to what it was; a first upload leaves a failed video, to upload again or delete."""
    if video.status is not VideoStatus.UPLOADING or video.upload_id is None:
        raise Conflict(f"video {video.id} is not being uploaded (status {video.status.value})")
    storage.abort_multipart(video.source_key, video.upload_id)
    _give_up_upload(video, "The upload was cancelled.", "上传已取消。")
    session.flush()


def _give_up_upload(video: Video, error_en: str, error_zh: str) -> None:
    video.upload_id = None
    previous, video.replacing = video.replacing, None
    if previous:
        for field in ("source_key", "filename", "content_type", "size_bytes"):
            setattr(video, field, previous[field])
    if video.master_key:  # a replacement: the current renditions stay in use
        video.status = VideoStatus.READY
    else:
        video.status = VideoStatus.FAILED
        if not (previous and video.error_en):  # a failed file keeps the reason it failed
            video.error_en, video.error_zh = error_en, error_zh


def queue_transcode(session: Session, video: Video) -> TranscodeJob:
    active = session.scalar(select(TranscodeJob).where(
        TranscodeJob.video_id == video.id, TranscodeJob.status.in_(ACTIVE_JOB_STATUSES)))
    if active is not None:
        raise Conflict(f"video {video.id} is already being processed")
    video.status = VideoStatus.QUEUED
    video.progress = 0.0
    video.error_en = video.error_zh = None
    job = TranscodeJob(video=video, heartbeat_at=utcnow())
    session.add(job)
    session.flush()
    return job


def retry_video(session: Session, video: Video) -> TranscodeJob:
    if video.status not in (VideoStatus.FAILED, VideoStatus.READY):
        raise Conflict(f"video {video.id} cannot be retried while {video.status.value}")
    return queue_transcode(session, video)


def delete_video(session: Session, video: Video) -> list[str]:
    """Delete the row; returns the storage prefixes to delete after the commit."""
    prefixes = [f"sources/{video.id}/", f"videos/{video.id}/"]
    video.item.touch()
    session.delete(video)
    session.flush()
    return prefixes


def abandon_uploads(session: Session, storage: Storage, *, older_than_s: int) -> int:
    """Abort multipart uploads nobody finished, and mark their videos failed."""
    count = 0
    for key, upload_id in storage.abandoned_uploads(older_than_s):
        storage.abort_multipart(key, upload_id)
        video = session.scalar(select(Video).where(Video.upload_id == upload_id))
        if video is not None and video.status is VideoStatus.UPLOADING:
            _give_up_upload(video, "The upload was not finished and has been discarded.",
                            "上传未完成，已被丢弃。")
        count += 1
    return count
