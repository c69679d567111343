"""Object storage, picked by one URL: a local directory or an S3 bucket.

`file:///absolute/path` is the embedded default; `s3://bucket/prefix` goes through boto3 with
credentials from its standard chain. Both keep the contract in `base.Storage`, proved by one
test suite over both (tests/storage/test_contract.py). See docs/storage.md.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from motpub.storage.base import (MIN_PART_BYTES, Part, Storage, StorageError, StorageFull,
                                 StorageUnavailable)
from motpub.storage.filesystem import FileStorage

__all__ = ["MIN_PART_BYTES", "FileStorage", "Part", "Storage", "StorageError", "StorageFull",
           "StorageUnavailable", "count_failures", "make_storage"]


def make_storage(url: str, *, public_url: str, media_public_url: str | None = None,
                 s3_endpoint_url: str | None = None) -> Storage:
    media_public_url = media_public_url.rstrip("/") if media_public_url else None
    if url.startswith("file://"):
        root = Path(url.removeprefix("file://"))
        if not root.is_absolute():
            raise StorageError(f"storage URL must be file:///absolute/path, got {url!r}")
        return FileStorage(root, public_url=public_url, media_public_url=media_public_url)
    if url.startswith("s3://"):
        # Imported here: boto3 adds half a second to every start, and the default never uses it.
        from motpub.storage.s3 import S3Storage, make_client

        parts = urlsplit(url)
        if not parts.netloc:
            raise StorageError(f"storage URL must be s3://bucket/prefix, got {url!r}")
        return S3Storage(make_client(s3_endpoint_url), parts.netloc, parts.path.strip("/"),
                         media_public_url=media_public_url, endpoint_url=s3_endpoint_url)
    raise StorageError(f"storage URL must be file:///absolute/path or s3://bucket/prefix, "
                       f"got {url!r}")


_OPERATIONS = ("put_file", "put_bytes", "get_bytes", "exists", "size_bytes", "delete",
               "delete_prefix", "list_keys", "create_multipart", "write_part", "list_parts",
               "complete_multipart", "abort_multipart", "abandoned_uploads", "set_public")


def count_failures(storage: Storage, on_failure: Callable[[str], None]) -> Storage:
    """`storage`, calling `on_failure(operation)` whenever an operation fails for want of
    the backend (StorageUnavailable: unreachable, refused, full), before the error goes on."""
    for operation in _OPERATIONS:
        method = getattr(storage, operation)

        def counted(*args, _method=method, _operation=operation, **kwargs):
            try:
                return _method(*args, **kwargs)
            except StorageUnavailable:
                on_failure(_operation)
                raise

        setattr(storage, operation, counted)
    return storage
