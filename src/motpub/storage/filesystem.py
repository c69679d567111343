"""Storage in a local directory, the embedded default. Every write lands atomically.

Layout under the root: objects at their keys; multipart uploads under
`.multipart/<upload_id>/`, with `upload.json` (key, content type, created time) and one
`<number>.<md5>.part` file per part. Names starting with "." are never keys.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from motpub.storage.base import (
    Part,
    Storage,
    StorageError,
    StorageFull,
    StorageUnavailable,
    check_completion,
    check_key,
    check_part_number,
    check_prefix,
    join_url,
    origin_of,
)

CHUNK_BYTES = 1024 * 1024
UPLOAD_STATE = "upload.json"
# Completion appends the parts, in order, to the first part's file and deletes each once it
# is in, so it needs room for one part more, not for a second copy of the whole file. The
# journal names the parts being assembled, so a completion that failed (a full disk) can be
# run again and goes on where it stopped.
ASSEMBLY_STATE = "assembly.json"
ASSEMBLY_FILE = "assembly.data"
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
_PART_FILE = re.compile(r"(\d{5})\.([0-9a-f]{32})\.part")


class FileStorage(Storage):
    def __init__(self, root: Path, *, public_url: str, media_public_url: str | None = None):
        self.root = root
        self._uploads = root / ".multipart"
        # Without a media server of its own, the app serves the root at /media.
        self._public_base = media_public_url or f"{public_url.rstrip('/')}/media"
        self._media_origins = (origin_of(media_public_url),) if media_public_url else ()

    def media_origins(self) -> tuple[str, ...]:
        return self._media_origins

    def upload_origins(self) -> tuple[str, ...]:
        return ()  # parts are PUT to the app itself

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_file(self, key: str, path: Path, *, content_type: str | None = None) -> None:
        target = self._path(key)
        try:
            source = open(path, "rb")  # noqa: SIM115 (closed below)
        except OSError as error:
            raise StorageError(f"cannot store {key!r} from {path}: {error.strerror}") from None
        try:
            with source:
                _write_atomically(target, lambda out: shutil.copyfileobj(source, out, CHUNK_BYTES))
        except OSError as error:
            raise _failure(f"cannot store {key!r} from {path}", error) from error

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        target = self._path(key)
        try:
            _write_atomically(target, lambda out: out.write(data))
        except OSError as error:
            raise _failure(f"cannot store {key!r}", error) from error

    def get_bytes(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise StorageError(f"no object at {key!r}") from None
        except OSError as error:
            raise _failure(f"cannot read {key!r}", error) from error

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def check_reachable(self) -> None:
        # The root is made by the first write, as any write would; a root that cannot be
        # made or used answers every read with "no such object": say why instead.
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageUnavailable(f"cannot make the storage folder {self.root}: "
                                     f"{error.strerror}") from error
        if not os.access(self.root, os.R_OK | os.W_OK | os.X_OK):
            raise StorageUnavailable(f"the storage folder {self.root} is not readable and "
                                     "writable by this process")

    def size_bytes(self, key: str) -> int:
        path = self._path(key)
        if not path.is_file():
            raise StorageError(f"no object at {key!r}")
        return path.stat().st_size

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise StorageError(f"no object at {key!r}")
        yield path

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return
        self._prune(path.parent)

    def delete_prefix(self, prefix: str) -> int:
        deleted, directories = 0, set()
        for key in self.list_keys(prefix):
            path = self.root / key
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            deleted += 1
            directories.add(path.parent)
        for directory in sorted(directories, key=lambda d: len(d.parts), reverse=True):
            self._prune(directory)
        return deleted

    def list_keys(self, prefix: str) -> list[str]:
        check_prefix(prefix)
        # Only the directory holding the prefix's last segment can hold matching keys.
        start = self.root / prefix.rpartition("/")[0]
        keys = []
        for directory, subdirectories, files in os.walk(start):
            relative = Path(directory).relative_to(self.root).as_posix()
            relative = "" if relative == "." else relative + "/"
            subdirectories[:] = [
                name for name in subdirectories
                if not name.startswith(".") and _may_hold(relative + name + "/", prefix)
            ]
            keys += [relative + name for name in files
                     if not name.startswith(".") and (relative + name).startswith(prefix)]
        return sorted(keys)

    def url(self, key: str, *, expires_s: int | None = None) -> str:
        # expires_s has nothing to sign here: the app's /media route decides who sees drafts.
        return join_url(self._public_base, check_key(key))

    def create_multipart(self, key: str, *, content_type: str) -> str:
        check_key(key)
        upload_id = secrets.token_urlsafe(18)
        state = {"key": key, "content_type": content_type,
                 "created_at": datetime.now(UTC).isoformat()}
        # Built under a dot-name and renamed, so an upload directory always has its state.
        building = self._uploads / f".{upload_id}.tmp"
        try:
            building.mkdir(parents=True)
            (building / UPLOAD_STATE).write_text(json.dumps(state))
            building.rename(self._uploads / upload_id)
        except OSError as error:
            raise _failure(f"cannot start an upload of {key!r}", error) from error
        return upload_id

    def part_url(self, key: str, upload_id: str, number: int, *, expires_s: int) -> str | None:
        return None

    def write_part(self, key: str, upload_id: str, number: int, stream: BinaryIO, *,
                   max_bytes: int) -> Part:
        check_part_number(number)
        directory = self._upload(key, upload_id)
        if (directory / ASSEMBLY_STATE).exists():
            raise StorageError(f"part {number}: the upload is being completed; complete it "
                               "again with the same parts, or abort it")
        try:
            temp, out = _open_temp(directory, f"{number:05d}")
        except OSError as error:
            raise _failure(f"part {number}", error) from error
        digest, size = hashlib.md5(usedforsecurity=False), 0
        try:
            with out:
                # Read at most one byte past the limit, so an oversized part costs no more.
                while chunk := stream.read(min(CHUNK_BYTES, max_bytes + 1 - size)):
                    size += len(chunk)
                    if size > max_bytes:
                        raise StorageError(f"part {number}: more than {max_bytes} bytes")
                    digest.update(chunk)
                    out.write(chunk)
                _sync(out)
            final = _part_path(directory, number, digest.hexdigest())
            os.replace(temp, final)
        except BaseException as error:
            temp.unlink(missing_ok=True)
            if isinstance(error, OSError):
                raise _failure(f"part {number}", error) from error
            raise
        # The name carries the part's MD5, so data and ETag can never disagree; the part's
        # earlier versions go once the new one is in place.
        for old in directory.glob(f"{number:05d}.*.part"):
            if old != final:
                old.unlink(missing_ok=True)
        return Part(number, f'"{digest.hexdigest()}"', size)

    def list_parts(self, key: str, upload_id: str) -> list[Part]:
        directory = self._upload(key, upload_id)
        if (assembly := _read_assembly(directory)) is not None:
            return assembly  # all received; some already inside the assembled file
        newest: dict[int, tuple[int, Part]] = {}
        try:
            entries = list(os.scandir(directory))
        except FileNotFoundError:
            raise _UploadGone(f"no multipart upload {upload_id!r} for {key!r}") from None
        for entry in entries:
            match = _PART_FILE.fullmatch(entry.name)
            try:
                stat = entry.stat() if match else None
            except FileNotFoundError:
                continue
            if match and stat:
                part = Part(int(match[1]), f'"{match[2]}"', stat.st_size)
                # Two versions of a part exist only while a re-upload replaces one.
                if part.number not in newest or stat.st_mtime_ns > newest[part.number][0]:
                    newest[part.number] = (stat.st_mtime_ns, part)
        return [part for _, (_, part) in sorted(newest.items())]

    def complete_multipart(self, key: str, upload_id: str,
                           parts: list[tuple[int, str]]) -> None:
        directory = self._upload(key, upload_id)
        with _completing(directory, key):
            self._complete(key, upload_id, directory, parts)
        self._remove_upload(directory)

    def _complete(self, key: str, upload_id: str, directory: Path,
                  parts: list[tuple[int, str]]) -> None:
        chosen = check_completion(parts, self.list_parts(key, upload_id))
        assembly = directory / ASSEMBLY_FILE
        try:
            if _read_assembly(directory) is None:
                _check_room(directory, max((part.size_bytes for part in chosen[1:]), default=0))
                state = [[part.number, part.etag, part.size_bytes] for part in chosen]
                _write_atomically(directory / ASSEMBLY_STATE,
                                  lambda out: out.write(json.dumps(state).encode()))
                first = chosen[0]
                os.replace(_part_path(directory, first.number, first.etag), assembly)
            elif [part.number for part in chosen] != [p.number for p in _read_assembly(directory)]:
                raise StorageError("the upload is being completed with other parts; complete "
                                   "it with the same parts, or abort it")
            _append_parts(directory, assembly, chosen)
            target = self._path(key)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(assembly, target)
        except OSError as error:
            raise _failure(f"cannot complete {key!r}", error) from error

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            directory = self._upload(key, upload_id)
        except _UploadGone:
            return
        self._remove_upload(directory)

    def abandoned_uploads(self, older_than_s: int) -> list[tuple[str, str]]:
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
        found = []
        for entry in os.scandir(self._uploads) if self._uploads.is_dir() else ():
            if entry.name.startswith("."):
                continue
            try:
                state = json.loads(Path(entry.path, UPLOAD_STATE).read_text())
            except (FileNotFoundError, ValueError):
                continue
            if datetime.fromisoformat(state["created_at"]) <= cutoff:
                found.append((state["key"], entry.name))
        return sorted(found)

    def _upload(self, key: str, upload_id: str) -> Path:
        check_key(key)
        directory = self._uploads / upload_id
        try:
            if not _UPLOAD_ID.fullmatch(upload_id):
                raise FileNotFoundError
            state = json.loads((directory / UPLOAD_STATE).read_text())
        except FileNotFoundError:
            raise _UploadGone(f"no multipart upload {upload_id!r} for {key!r}") from None
        if state["key"] != key:
            raise StorageError(f"multipart upload {upload_id!r} is not for {key!r}")
        return directory

    def _remove_upload(self, directory: Path) -> None:
        # Renamed away first, so nobody sees an upload with half its parts gone.
        doomed = directory.with_name(f".{directory.name}.{secrets.token_hex(4)}.deleting")
        try:
            directory.rename(doomed)
        except FileNotFoundError:
            return
        shutil.rmtree(doomed, ignore_errors=True)

    def _prune(self, directory: Path) -> None:
        """Remove directories left empty, up to the root, so deleted videos leave no husks."""
        while directory != self.root and self.root in directory.parents:
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent


class _UploadGone(StorageError):
    """The upload was completed, aborted or never existed."""


def _failure(message: str, error: OSError) -> StorageError:
    """An OS error as the storage's failure: the disk's, never the caller's data."""
    if error.errno in _FULL_ERRNOS:
        return StorageFull(f"{message}: {error.strerror or error}")
    return StorageUnavailable(f"{message}: {error.strerror or error}")


@contextmanager
def _completing(directory: Path, key: str) -> Iterator[None]:
    """One completion of an upload at a time: two would append the same parts twice."""
    try:
        state = open(directory / UPLOAD_STATE, "rb")  # noqa: SIM115 (closed below)
    except FileNotFoundError:
        raise _UploadGone(f"no multipart upload for {key!r}") from None
    with state:
        try:
            fcntl.flock(state.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StorageError(f"the upload of {key!r} is already being completed") from None
        if not (directory / UPLOAD_STATE).exists():  # completed while we opened it
            raise _UploadGone(f"no multipart upload for {key!r}")
        yield


def _read_assembly(directory: Path) -> list[Part] | None:
    """The parts of a completion in progress, or None when none has started."""
    try:
        state = json.loads((directory / ASSEMBLY_STATE).read_text())
    except FileNotFoundError:
        return None
    return [Part(number, etag, size) for number, etag, size in state]


def _check_room(directory: Path, needed: int) -> None:
    """StorageFull before anything changes when the disk cannot take one more part."""
    stat = os.statvfs(directory)
    free = stat.f_bavail * stat.f_frsize
    if free < needed + CHUNK_BYTES:
        raise StorageFull(f"cannot complete the upload: {free} bytes free, "
                          f"{needed + CHUNK_BYTES} needed to assemble its parts")


def _append_parts(directory: Path, assembly: Path, parts: list[Part]) -> None:
    """Append each part not yet in `assembly` and delete it once it is safely there.

    The assembled file's size says how far an earlier run got: the bytes of a part it was
    appending when it failed are cut off again, and that part is appended anew.
    """
    ends, total = [], 0
    for part in parts:
        total += part.size_bytes
        ends.append(total)
    with open(assembly, "r+b") as out:
        size = os.fstat(out.fileno()).st_size
        done = sum(1 for end in ends if end <= size)
        if done == 0:
            raise StorageError(f"the assembled file is shorter than part {parts[0].number}; "
                               "abort the upload and start again")
        for part in parts[:done]:
            _part_path(directory, part.number, part.etag).unlink(missing_ok=True)
        for index in range(done, len(parts)):
            start = ends[index - 1]
            part = parts[index]
            path = _part_path(directory, part.number, part.etag)
            try:
                out.truncate(start)
                out.seek(start)
                with open(path, "rb") as source:
                    shutil.copyfileobj(source, out, CHUNK_BYTES)
                _sync(out)
            except OSError:
                out.truncate(start)  # the part stays in its own file; nothing half-written
                raise
            path.unlink()


def _part_path(directory: Path, number: int, etag: str) -> Path:
    md5 = etag.strip('"')
    return directory / f"{number:05d}.{md5}.part"


def _may_hold(directory_prefix: str, prefix: str) -> bool:
    return directory_prefix.startswith(prefix) or prefix.startswith(directory_prefix)


def _open_temp(directory: Path, name: str) -> tuple[Path, BinaryIO]:
    """A new file beside its target, with the permissions the umask gives any new file."""
    temp = directory / f".{name[:100]}.{secrets.token_hex(8)}.tmp"
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    return temp, os.fdopen(descriptor, "wb")


def _sync(out: BinaryIO) -> None:
    out.flush()
    os.fsync(out.fileno())


def _write_atomically(target: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write beside target, then rename: a reader sees the old object or the new, never half."""
    for attempt in range(3):
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            temp, out = _open_temp(target.parent, target.name)
            break
        except FileNotFoundError:
            # A concurrent delete pruned the directory between mkdir and open; make it again.
            if attempt == 2:
                raise
    try:
        with out:
            write(out)
            _sync(out)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
