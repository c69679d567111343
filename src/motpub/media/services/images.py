"""Images of items and exhibitions: uploads in parts (the videos' protocol), processing
queued on completion, alt text, captions, credit, order, deletion."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from pydantic import (
    ConfigDict, Field, JsonValue, StrictInt, StrictStr, StringConstraints, field_validator)
from sqlalchemy import select
from sqlalchemy.orm import Session

from motpub.database import after_commit
from motpub.errors import Conflict, Invalid, NotFound
from motpub.exhibitions.models import Exhibition
from motpub.inputs import Input, Language, refusal
from motpub.items.models import Item
from motpub.media.models.image import Image, ImageStatus
from motpub.media.models.image_job import ImageJob
from motpub.media.models.transcode_job import ACTIVE_JOB_STATUSES
from motpub.media.services.uploads import (
    CompletedUpload, FileToUpload, UploadPlan, assemble_parts, start_multipart)
from motpub.orm import utcnow
from motpub.storage import Storage

Owner = Item | Exhibition
IMAGE_TYPES = {"image/jpeg", "image/jpg", "image/pjpeg", "image/png", "image/webp",
               "image/avif", "image/heic", "image/heif", "image/tiff", "image/gif"}
SVG_TYPES = {"image/svg+xml", "image/svg"}
_TYPE_ENUM: list[JsonValue] = [value for value in sorted(IMAGE_TYPES)]


class ImageUploadRequest(FileToUpload):
    """The picture about to be uploaded."""

    model_config = ConfigDict(extra="ignore")
    size_bytes: StrictInt = Field(gt=0, description="at most MOTPUB_MAX_IMAGE_BYTES")
    content_type: StrictStr = Field(
        json_schema_extra={"enum": _TYPE_ENUM},
        description="a picture type; parameters after `;` and letter case are ignored. The "
                    "file's own bytes decide what it is: one that is not a picture is refused "
                    "when processed")

    @field_validator("content_type")
    @classmethod
    def _picture_type(cls, value: str) -> str:
        value = value.split(";")[0].strip().lower()
        if value in SVG_TYPES:
            raise refusal("SVG is refused: it can carry scripts. Export the picture as PNG "
                          "or JPEG")
        if value not in IMAGE_TYPES:
            raise refusal(f"unsupported content_type {value!r}: upload a picture (JPEG, PNG, "
                          "WebP, AVIF, HEIC or TIFF)")
        return value


AltText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
CaptionText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class ImagePatch(Input):
    """What an editor may change; absent fields stay. A language given an empty text (or
    null) loses its text; other languages keep theirs."""

    model_config = ConfigDict(extra="forbid")
    alt: dict[Language, AltText | None] | None = Field(
        default=None, description="what the picture shows, for those who cannot see it")
    caption: dict[Language, CaptionText | None] | None = None
    credit: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = \
        Field(default=None, description="photographer, licence")
    position: StrictInt | None = Field(default=None, ge=0, le=10_000, description=(
        "the place in the gallery from 0 (the hero or cover); the others move along"))


def owner_of(image: Image) -> Owner:
    owner = image.item if image.item is not None else image.exhibition
    assert owner is not None  # the one_owner constraint
    return owner


def images_of(session: Session, owner: Owner) -> list[Image]:
    column = Image.item_id if isinstance(owner, Item) else Image.exhibition_id
    return list(session.scalars(select(Image).where(column == owner.id)
                                .order_by(Image.position, Image.id)))


def request_image_upload(
    session: Session, storage: Storage, owner: Owner, data: ImageUploadRequest, *,
    max_bytes: int, app_part_url: Callable[[Image, int], str],
    url_expires_s: int = 24 * 3600,
) -> tuple[Image, UploadPlan]:
    """Start a resumable upload: the row (last in the gallery), the storage's multipart
    upload, and its part URLs."""
    if data.size_bytes > max_bytes:
        raise Invalid(f"the file is {data.size_bytes} bytes; the limit for a picture is "
                      f"{max_bytes}", field="size_bytes")
    # Writing the owner first takes its row lock (PostgreSQL) or the database's write lock
    # (SQLite), so uploads started at the same moment count each other and get positions
    # of their own.
    owner.touch()
    session.flush()
    image = Image(filename=data.filename, content_type=data.content_type,
                  size_bytes=data.size_bytes, source_key="", part_size_bytes=0,
                  position=len(images_of(session, owner)), status=ImageStatus.UPLOADING)
    if isinstance(owner, Item):
        image.item = owner
    else:
        image.exhibition = owner
    session.add(image)
    session.flush()
    plan = start_multipart(storage, image, data.size_bytes,
                           key_prefix=f"sources/images/{image.id}/{secrets.token_urlsafe(8)}/",
                           app_part_url=lambda number: app_part_url(image, number),
                           url_expires_s=url_expires_s)
    session.flush()
    return image, plan


def get_image(session: Session, image_id: int) -> Image:
    image = session.get(Image, image_id)
    if image is None:
        raise NotFound(f"no image with id {image_id}")
    return image


def complete_image_upload(session: Session, storage: Storage, image: Image,
                          data: CompletedUpload, *,
                          enqueue_image: Callable[[int], object]) -> ImageJob:
    """Assemble the parts, once they add up to the size declared, and queue the processing
    (enqueued once this commits)."""
    if image.status is not ImageStatus.UPLOADING or image.upload_id is None:
        raise Conflict(f"image {image.id} is not being uploaded (status {image.status.value})")
    received = {part.number: part.size_bytes
                for part in storage.list_parts(image.source_key, image.upload_id)}
    held = sum(received.get(part.number, 0) for part in data.parts)
    if held != image.size_bytes:
        raise Invalid(f"the parts hold {held} bytes but the upload declared "
                      f"{image.size_bytes}; send the missing or changed parts again",
                      field="parts")
    assemble_parts(storage, image, data)
    return queue_image(session, image, enqueue_image)


def queue_image(session: Session, image: Image,
                enqueue_image: Callable[[int], object]) -> ImageJob:
    if session.scalar(select(ImageJob.id).where(
            ImageJob.image_id == image.id,
            ImageJob.status.in_(ACTIVE_JOB_STATUSES))) is not None:
        raise Conflict(f"image {image.id} is already being processed")
    image.status = ImageStatus.QUEUED
    image.error_code = image.error_args = None
    job = ImageJob(image=image, heartbeat_at=utcnow())
    session.add(job)
    session.flush()
    job_id = job.id
    after_commit(session, lambda: enqueue_image(job_id))
    return job


def update_image(session: Session, image: Image, data: ImagePatch) -> Image:
    if data.alt is not None:
        image.alt = _merged(image.alt, data.alt)
    if data.caption is not None:
        image.caption = _merged(image.caption, data.caption)
    if data.credit is not None:
        image.credit = data.credit
    owner = owner_of(image)
    if data.position is not None:
        siblings = [other for other in images_of(session, owner) if other.id != image.id]
        siblings.insert(min(data.position, len(siblings)), image)
        _number(siblings)
    owner.touch()
    session.flush()
    return image


def _merged(texts: dict[str, str], changes: dict[str, str | None]) -> dict[str, str]:
    merged = {**texts, **{lang: text for lang, text in changes.items() if text}}
    return {lang: text for lang, text in merged.items()
            if lang not in changes or changes[lang]}


def _number(images: list[Image]) -> None:
    for position, image in enumerate(images):
        image.position = position


def delete_image(session: Session, storage: Storage, image: Image) -> None:
    """Delete the row, close the gap in the gallery; once that commits, the upload in
    progress and every object of the image go too."""
    upload = (image.source_key, image.upload_id) if image.upload_id else None
    prefixes = [f"sources/images/{image.id}/", f"images/{image.id}/"]
    owner = owner_of(image)
    session.delete(image)
    session.flush()
    _number([other for other in images_of(session, owner) if other.id != image.id])
    owner.touch()

    def delete_files() -> None:
        if upload:
            storage.abort_multipart(*upload)
        for prefix in prefixes:
            storage.delete_prefix(prefix)

    after_commit(session, delete_files)
