"""The storage contract both backends keep, and the key rules they share."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, urlsplit

# S3 refuses to complete an upload whose parts, all but the last, are smaller than this. The
# file backend refuses it too, so an upload client tried on the embedded default works on S3.
MIN_PART_BYTES = 5 * 1024 * 1024
MAX_PART_NUMBER = 10_000
_BAD_CHARACTER = re.compile(r"[\\\x00-\x1f\x7f]")


class StorageError(Exception):
    """A storage operation failed; the message says which object and why."""


class StorageUnavailable(StorageError):
    """The storage itself failed (a disk error, a bucket's server error or no connection),
    not the request: nothing the editor sent was wrong, and trying later may work."""


class StorageFull(StorageUnavailable):
    """The storage has no room left (ENOSPC, a quota)."""


@dataclass(frozen=True)
class Part:
    number: int
    etag: str
    size_bytes: int


class Storage(ABC):
    """Objects under POSIX-like keys ("videos/12/v8f3a/720p/seg_00001.m4s")."""

    @abstractmethod
    def put_file(self, key: str, path: Path, *, content_type: str | None = None) -> None: ...

    @abstractmethod
    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> None: ...

    @abstractmethod
    def get_bytes(self, key: str) -> bytes: ...

    def check_reachable(self) -> None:
        """Cheap enough for every readiness probe: raises StorageError when the backend does
        not answer. Writes nothing (`motpub doctor` does a full round trip)."""
        self.exists("readyz")

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size_bytes(self, key: str) -> int: ...

    @abstractmethod
    def local_path(self, key: str) -> AbstractContextManager[Path]:
        """A real local file for ffmpeg, valid inside the `with` block."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Delete one object; a missing one is fine."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with prefix; return how many."""

    @abstractmethod
    def list_keys(self, prefix: str) -> list[str]:
        """Keys starting with prefix (a plain string prefix, as S3 has it), sorted."""

    @abstractmethod
    def url(self, key: str, *, expires_s: int | None = None) -> str: ...

    @abstractmethod
    def create_multipart(self, key: str, *, content_type: str) -> str:
        """Start a multipart upload; return its upload_id."""

    @abstractmethod
    def part_url(self, key: str, upload_id: str, number: int, *, expires_s: int) -> str | None:
        """A URL the browser PUTs the part to, or None when the app receives parts itself."""

    @abstractmethod
    def write_part(self, key: str, upload_id: str, number: int, stream: BinaryIO, *,
                   max_bytes: int) -> Part: ...

    @abstractmethod
    def list_parts(self, key: str, upload_id: str) -> list[Part]: ...

    @abstractmethod
    def complete_multipart(self, key: str, upload_id: str,
                           parts: list[tuple[int, str]]) -> None: ...

    @abstractmethod
    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop the upload and its parts; an upload already gone is fine."""

    @abstractmethod
    def abandoned_uploads(self, older_than_s: int) -> list[tuple[str, str]]:
        """(key, upload_id) of uploads started longer ago than older_than_s."""

    def set_public(self, prefix: str, public: bool) -> None:
        """Make the objects under prefix readable by anyone at `url(key)`, or not.

        Nothing to do where the app serves the media itself (it checks every request) or
        where every URL is presigned anyway."""
        return None

    @abstractmethod
    def media_origins(self) -> tuple[str, ...]:
        """The origins besides the app's own that pages load media from: the sources a
        Content-Security-Policy allows for images, media and their requests."""

    @abstractmethod
    def upload_origins(self) -> tuple[str, ...]:
        """The origins besides the app's own that browsers send upload parts to."""

    def allow_origins(self, origins: list[str]) -> list[dict] | None:
        """Let pages at `origins` upload parts straight to the storage and stream media from
        it; returns the rules now in place, or None when the app serves the storage itself
        (then browsers talk to the app's own origin and nothing needs allowing)."""
        return None


def check_key(key: str) -> str:
    """Refuse keys that could name something outside the storage root, or nothing at all.

    Segments starting with "." are refused too: the file backend keeps its temp files and
    multipart state under dot-names, and no key may reach them.
    """
    if not isinstance(key, str) or not key:
        raise StorageError(f"invalid key {key!r}: empty")
    if _BAD_CHARACTER.search(key):
        raise StorageError(f"invalid key {key!r}: backslash or control character")
    if key.startswith("/"):
        raise StorageError(f"invalid key {key!r}: leading '/'")
    for segment in key.split("/"):
        if not segment:
            raise StorageError(f"invalid key {key!r}: empty segment")
        if segment.startswith("."):
            raise StorageError(f"invalid key {key!r}: segment {segment!r} starts with '.'")
    return key


def check_prefix(prefix: str) -> str:
    """A prefix is "" (everything) or a key, optionally ending in "/"."""
    if prefix:
        check_key(prefix.removesuffix("/"))
    return prefix


def check_part_number(number: int) -> int:
    if not isinstance(number, int) or not 1 <= number <= MAX_PART_NUMBER:
        raise StorageError(f"part {number!r}: number must be 1 to {MAX_PART_NUMBER}")
    return number


def check_completion(parts: list[tuple[int, str]], received: list[Part]) -> list[Part]:
    """The received parts that `parts` names, in order, or StorageError saying which is wrong."""
    if not parts:
        raise StorageError("no parts to complete the upload with")
    by_number = {part.number: part for part in received}
    chosen: list[Part] = []
    for number, etag in parts:
        if chosen and number <= chosen[-1].number:
            raise StorageError(f"part {number}: part numbers must be unique and ascending")
        part = by_number.get(number)
        if part is None:
            raise StorageError(f"part {number}: not received")
        if part.etag.strip('"') != str(etag).strip('"'):
            raise StorageError(f"part {number}: etag does not match")
        chosen.append(part)
    for part in chosen[:-1]:
        if part.size_bytes < MIN_PART_BYTES:
            raise StorageError(f"part {part.number}: {part.size_bytes} bytes is below the "
                               f"{MIN_PART_BYTES} byte minimum for all but the last part")
    return chosen


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def join_url(base: str, key: str) -> str:
    return f"{base.rstrip('/')}/{quote(key, safe='/')}"

