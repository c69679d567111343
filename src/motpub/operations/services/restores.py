"""Restore a backup made by `services.backups` into an empty deployment.

Every checksum is verified before anything is written: a corrupted or incomplete backup is
refused with the list of what is wrong, and the deployment stays as it was. The manifest
lists storage keys, not paths, so a file-backend backup restores into S3 and back.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from motpub.operations.services.backups import (
    BackupError, file_digest, FORMAT, FORMAT_VERSION, MANIFEST, MEDIA_DIR)
from motpub.avtools.hls import CONTENT_TYPES
from motpub.snapshots import SNAPSHOT_FILES, SnapshotError, database_is_empty, restore_database
from motpub.storage import Storage, StorageError
from motpub.storage.base import check_key


@dataclass(frozen=True)
class RestoreSummary:
    objects: int
    size_bytes: int
    alembic_revision: str | None
    files: list[str]


def read_verified_manifest(source: Path) -> dict[str, Any]:
    """The backup's manifest, once every file it lists has its size and SHA-256; otherwise
    BackupError listing each problem."""
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{source} is not a motpub backup: {MANIFEST} is missing (a backup "
                          "that did not finish has none)") from None
    except (OSError, ValueError) as error:
        raise BackupError(f"{source / MANIFEST} cannot be read: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
            or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{source / MANIFEST} is not a motpub backup manifest of version "
                          f"{FORMAT_VERSION}")
    problems = []
    try:
        database = manifest["database"]
        if SNAPSHOT_FILES.get(database["dialect"]) != database["path"]:
            problems.append(f"unknown database snapshot {database['path']!r}")
        else:
            problems += _check(source / database["path"], database)
        for name, entry in manifest["files"].items():
            if name != entry["path"] or "/" in name or name.startswith("."):
                problems.append(f"unexpected file {name!r}")
            else:
                problems += _check(source / name, entry)
        for entry in manifest["objects"]:
            problems += _check(source / MEDIA_DIR / check_key(entry["key"]), entry)
    except (KeyError, TypeError, AttributeError, StorageError) as error:
        raise BackupError(f"{source / MANIFEST} is malformed: {error}") from None
    if problems:
        raise BackupError("the backup is damaged; nothing was restored:\n  "
                          + "\n  ".join(problems))
    return manifest


def _check(path: Path, entry: dict[str, Any]) -> list[str]:
    label = entry.get("key") or path.name
    if not path.is_file():
        return [f"{label}: missing"]
    actual = file_digest(path)
    if actual["size_bytes"] != entry["size_bytes"]:
        return [f"{label}: {actual['size_bytes']} bytes, the manifest says "
                f"{entry['size_bytes']}"]
    if actual["sha256"] != entry["sha256"]:
        return [f"{label}: SHA-256 does not match the manifest"]
    return []


def restore_backup(source: Path, *, engine: Engine, storage: Storage,
                   migration_revisions: Collection[str],
                   files: dict[str, Path] | None = None, force: bool = False) -> RestoreSummary:
    """Verify the backup at `source`, then restore its database, its media objects and the
    `files` it holds (name → where it goes). Refuses a backup whose schema is at a revision
    not among `migration_revisions` (this motpub's), and a deployment that has tables or
    objects unless `force`, which replaces the database and deletes the objects there first."""
    manifest = read_verified_manifest(source)
    database = manifest["database"]
    _check_database_fits(database, engine, migration_revisions)
    existing = storage.list_keys("")
    if not force and (existing or not database_is_empty(engine)):
        raise BackupError("the deployment is not empty (its database has tables or its "
                          "storage has objects); restore into an empty one, or pass --force "
                          "to replace what is there")
    try:
        restore_database(engine, source / database["path"], database["dialect"], force=force)
    except SnapshotError as error:
        raise BackupError(str(error)) from None
    if existing:
        storage.delete_prefix("")
    for entry in manifest["objects"]:
        key = entry["key"]
        storage.put_file(key, source / MEDIA_DIR / key,
                         content_type=CONTENT_TYPES.get(Path(key).suffix))
    restored_files = []
    for name, target in (files or {}).items():
        if name in manifest["files"]:
            _write_private(target, (source / name).read_bytes())
            restored_files.append(name)
    return RestoreSummary(objects=len(manifest["objects"]),
                          size_bytes=sum(entry["size_bytes"] for entry in manifest["objects"]),
                          alembic_revision=database.get("alembic_revision"),
                          files=restored_files)


def _check_database_fits(database: dict[str, Any], engine: Engine,
                         migration_revisions: Collection[str]) -> None:
    if database["dialect"] != engine.dialect.name:
        raise BackupError(f"the backup holds a {database['dialect']} database; the configured "
                          f"database is {engine.dialect.name}")
    revision = database.get("alembic_revision")
    if revision is not None and revision not in migration_revisions:
        # `motpub db upgrade` could not start from it, so it is refused before anything is
        # replaced.
        raise BackupError(f"the backup's database is at revision {revision}, which this "
                          "motpub's migrations do not know; restore it with the motpub "
                          "version that made it")


def _write_private(target: Path, data: bytes) -> None:
    """Readable by the owner only, and in place at once (the secret key is read at start)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
