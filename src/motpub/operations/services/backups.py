"""Backups: a consistent snapshot of the database and every media object, with a manifest of
sizes and SHA-256 checksums, taken while motpub serves and transcodes.

The database snapshot comes first. Media objects are listed and copied after it, so every
object a snapshot row refers to was written before the snapshot and is there to copy, unless
it was deleted meanwhile (a video deleted, a superseded version cleaned up): then the backup
starts again from a new snapshot. An object referred to but missing since before the backup
began is reported, not waited for. Objects written after the snapshot may be copied too; they
are harmless. Uploads in progress are not objects yet (their parts live outside the keys) and
are left out, as the snapshot's rows still show them uploading.

Layout of a backup directory:
    manifest.json            format, database, files and objects, each with size and SHA-256
    database.sqlite3 | database.pgdump
    secret_key               the embedded default's key, when the data dir has one
    media/<key>              every object, under its storage key
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import posixpath
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select

from motpub.media.models.video import AudioTrack, Caption, Rendition, Video, VideoStatus
from motpub.errors import ServiceError
from motpub.snapshots import SNAPSHOT_FILES, alembic_revision, snapshot_database
from motpub.storage import Storage, StorageError

MANIFEST = "manifest.json"
FORMAT = "motpub-backup"
FORMAT_VERSION = 1
MEDIA_DIR = "media"
CHUNK_BYTES = 1024 * 1024
ATTEMPTS = 3
_SOURCE_IN_USE = (VideoStatus.QUEUED, VideoStatus.PROCESSING, VideoStatus.READY)


class BackupError(ServiceError):
    """A backup could not be written or a restore refused; the message says why."""


@dataclass(frozen=True)
class BackupSummary:
    objects: int
    size_bytes: int
    attempts: int
    # Objects the database refers to that were missing before the backup began (a failed
    # transcode's first playable, say): the backup holds the deployment as it was.
    missing_keys: list[str]


def create_backup(destination: Path, *, engine: Engine, storage: Storage,
                  files: dict[str, Path] | None = None,
                  on_snapshot: Callable[[], None] | None = None) -> BackupSummary:
    """Write a backup into `destination`, a new or empty directory. `files` names extra
    files to keep when they exist (the embedded secret key). `on_snapshot` is called once the
    database snapshot is taken, before any media is copied."""
    root = getattr(storage, "root", None)  # the file backend's directory
    if root is not None and destination.resolve().is_relative_to(Path(root).resolve()):
        # It would copy itself as media, growing while it is copied.
        raise BackupError(f"{destination} is inside the media storage {root}; "
                          "back up somewhere else")
    existed = destination.exists()
    _prepare_destination(destination)
    try:
        for attempt in range(1, ATTEMPTS + 1):
            summary = _attempt(destination, engine, storage, files or {}, on_snapshot, attempt)
            if summary is not None:
                return summary
            on_snapshot = None
        raise BackupError(f"media objects the database refers to were deleted during each of "
                          f"{ATTEMPTS} attempts; try again when fewer videos are changing")
    except BaseException:
        # Nothing half-made is left to pass for a backup; a directory given empty stays.
        _empty(destination)
        if not existed:
            destination.rmdir()
        raise


def _prepare_destination(destination: Path) -> None:
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BackupError(f"{destination} exists and is not an empty directory")
    # The backup holds the secret key and every user's password hash: the owner's only.
    destination.mkdir(mode=0o700, parents=True, exist_ok=True)
    destination.chmod(0o700)


def _attempt(destination: Path, engine: Engine, storage: Storage, files: dict[str, Path],
             on_snapshot: Callable[[], None] | None, attempt: int) -> BackupSummary | None:
    """One try: snapshot, copy, check; None when a referenced object went missing."""
    _empty(destination)
    dialect = engine.dialect.name
    snapshot_file = destination / SNAPSHOT_FILES[dialect]
    # Listed before the snapshot too: a referenced object missing from the copy that was
    # there before was deleted during the backup, while one never seen was already missing.
    listed_before = set(storage.list_keys(""))
    with snapshot_database(engine, snapshot_file) as snapshot:
        revision = alembic_revision(snapshot)
        required = referenced_keys(snapshot)
    if on_snapshot is not None:
        on_snapshot()
    objects, vanished = _copy_objects(storage, destination / MEDIA_DIR)
    kept = {entry["key"] for entry in objects}
    missing = (required | hls_references(destination / MEDIA_DIR, required)) - kept
    if missing & (listed_before | set(vanished)):
        return None
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": {"dialect": dialect, "alembic_revision": revision,
                     **_describe(destination, snapshot_file.name)},
        "files": {name: _copy_file(path, destination / name)
                  for name, path in sorted(files.items()) if path.is_file()},
        "objects": objects,
    }
    temporary = destination / f".{MANIFEST}.tmp"
    temporary.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    os.replace(temporary, destination / MANIFEST)
    return BackupSummary(objects=len(objects),
                         size_bytes=sum(entry["size_bytes"] for entry in objects),
                         attempts=attempt, missing_keys=sorted(missing))


def _empty(directory: Path) -> None:
    for entry in directory.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def referenced_keys(connection: Connection) -> set[str]:
    """The object keys the database's rows refer to, which a backup must hold."""
    keys: set[str] = set()
    videos = connection.execute(select(
        Video.status, Video.upload_id, Video.source_key, Video.replacing, Video.master_key,
        Video.preview_key, Video.poster_key))
    for status, upload_id, source_key, replacing, *outputs in videos:
        # A failed or cancelled first upload names a source that may never have existed.
        if upload_id is None and source_key and VideoStatus(status) in _SOURCE_IN_USE:
            keys.add(source_key)
        if replacing and replacing.get("source_key"):
            keys.add(replacing["source_key"])
        keys.update(key for key in outputs if key)
    keys.update(connection.scalars(select(Rendition.playlist_key)))
    for vtt_key, playlist_key in connection.execute(
            select(Caption.vtt_key, Caption.playlist_key)):
        keys.update((vtt_key, playlist_key))
    # Dubs: their sources, and what plays (a master per dub, its rendition's playlist).
    for dub_keys in connection.execute(
            select(AudioTrack.source_key, AudioTrack.playlist_key, AudioTrack.master_key)):
        keys.update(key for key in dub_keys if key)
    return keys


def hls_references(media_dir: Path, keys: set[str]) -> set[str]:
    """Every object the HLS playlists among `keys` lead to, followed through the copies in
    `media_dir`: variant playlists, init segments, segments, subtitle playlists and files."""
    found: set[str] = set()
    pending = [key for key in keys if key.endswith(".m3u8")]
    while pending:
        playlist = pending.pop()
        path = media_dir / playlist
        if not path.is_file():
            continue
        for uri in _playlist_uris(path.read_text(errors="replace")):
            key = posixpath.normpath(posixpath.join(posixpath.dirname(playlist), uri))
            if key not in found:
                found.add(key)
                if key.endswith(".m3u8"):
                    pending.append(key)
    return found


def _playlist_uris(playlist: str) -> list[str]:
    uris = []
    for line in playlist.splitlines():
        line = line.strip()
        if line.startswith("#"):
            if 'URI="' in line:
                uris.append(line.split('URI="', 1)[1].split('"', 1)[0])
        elif line:
            uris.append(line)
    return [uri.split("?", 1)[0] for uri in uris if "://" not in uri and uri]


def _copy_objects(storage: Storage, media_dir: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Copy every object; returns the manifest's entries and the keys that vanished."""
    entries, vanished = [], []
    for key in storage.list_keys(""):
        target = media_dir / key
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with storage.local_path(key) as source:
                entries.append({"key": key, **_copy_hashed(source, target)})
        except StorageError:
            if storage.exists(key):
                raise
            target.unlink(missing_ok=True)
            vanished.append(key)  # deleted after the listing
    return entries, vanished


def _copy_file(source: Path, target: Path) -> dict[str, Any]:
    # Such files are secrets (the embedded key): the owner's only, as in the data dir.
    target.touch(mode=0o600)
    return {"path": target.name, **_copy_hashed(source, target)}


def _copy_hashed(source: Path, target: Path) -> dict[str, Any]:
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as reader, open(target, "wb") as writer:
        while chunk := reader.read(CHUNK_BYTES):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return {"size_bytes": size, "sha256": digest.hexdigest()}


def _describe(destination: Path, name: str) -> dict[str, Any]:
    return {"path": name, **file_digest(destination / name)}


def file_digest(path: Path) -> dict[str, Any]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as reader:
        while chunk := reader.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return {"size_bytes": size, "sha256": digest.hexdigest()}
