"""The resumable upload protocol that videos and images share: a storage multipart upload,
parts sent straight to the storage (or to the app's signed part URL on the file backend),
then assembled on completion. What it needs of a row is the `Upload` protocol."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pydantic import ConfigDict, Field, StrictInt, StrictStr, field_validator

from motpub.errors import Invalid
from motpub.inputs import Input, refusal
from motpub.storage import Storage, StorageError, StorageUnavailable

# The smallest part size the API hands out: above the storage's MIN_PART_BYTES, with room.
UPLOAD_PART_BYTES = 8 * 1024 * 1024
MAX_PARTS = 10_000                # S3's limit on parts per upload


class Upload(Protocol):
    """A row that receives a file in parts (a video, an image)."""

    id: int
    filename: str
    content_type: str
    size_bytes: int
    part_size_bytes: int
    source_key: str
    upload_id: str | None


@dataclass(frozen=True)
class UploadPlan:
    part_size_bytes: int
    parts: list[tuple[int, str]]  # (number, url)


class FileToUpload(Input):
    """What every upload request names first: the file's name (a video's, a picture's)."""

    # Unknown keys were always ignored in uploads.
    model_config = ConfigDict(extra="ignore")
    filename: StrictStr = Field(min_length=1, max_length=255,
                                json_schema_extra={"pattern": r"\S"})

    @field_validator("filename")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise refusal("filename must be a non-empty string of at most 255 characters")
        return value.strip()


class UploadedPart(Input):
    # Unknown keys were always ignored in uploads.
    model_config = ConfigDict(extra="ignore")
    number: StrictInt = Field(ge=1, le=MAX_PARTS)
    etag: StrictStr = Field(min_length=1)


class CompletedUpload(Input):
    """The parts of an upload, each as its PUT answered (the ETag header)."""

    model_config = ConfigDict(extra="ignore")
    parts: list[UploadedPart] = Field(min_length=1, max_length=MAX_PARTS)


def safe_filename(filename: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip(".-")[:80]
    return stem or "source"


def start_multipart(storage: Storage, upload: Upload, size_bytes: int, *, key_prefix: str,
                    app_part_url: Callable[[int], str], url_expires_s: int) -> UploadPlan:
    """Open the storage's multipart upload of `upload`'s file under `key_prefix` (a private
    prefix, never served), and the URL of each part."""
    upload.size_bytes = size_bytes
    upload.part_size_bytes = max(UPLOAD_PART_BYTES,
                                 math.ceil(size_bytes / MAX_PARTS / 2**20) * 2**20)
    upload.source_key = f"{key_prefix}{safe_filename(upload.filename)}"
    upload.upload_id = storage.create_multipart(upload.source_key,
                                                content_type=upload.content_type)
    numbers = range(1, math.ceil(size_bytes / upload.part_size_bytes) + 1)
    return UploadPlan(part_size_bytes=upload.part_size_bytes, parts=[
        (n, storage.part_url(upload.source_key, upload.upload_id, n, expires_s=url_expires_s)
         or app_part_url(n))
        for n in numbers
    ])


def assemble_parts(storage: Storage, upload: Upload, data: CompletedUpload) -> None:
    """Join the parts into the source file; the upload is over once this returns."""
    assert upload.upload_id is not None
    parts = [(part.number, part.etag) for part in data.parts]
    expected = math.ceil(upload.size_bytes / upload.part_size_bytes)
    if sorted(number for number, _etag in parts) != list(range(1, expected + 1)):
        raise Invalid(f"expected parts 1 to {expected}, each once", field="parts")
    try:
        storage.complete_multipart(upload.source_key, upload.upload_id, parts)
    except StorageUnavailable:
        raise  # the server's storage, not the parts: 507/503, and completing again resumes
    except StorageError as error:
        raise Invalid(str(error), field="parts") from None
    upload.upload_id = None
