"""Storage in an S3 bucket (AWS, MinIO or another S3-compatible server): the only boto3 import."""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

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

DEFAULT_URL_EXPIRES_S = 3600
CORS_RULE_ID = "motpub"
AWS_ORIGINS = "https://*.amazonaws.com"
_MISSING_OBJECT = {"404", "NoSuchKey", "NotFound"}
_DELETE_BATCH = 1000  # the most keys DeleteObjects takes at once
_ACL_WORKERS = 16
# Refusals that are the server's, not the request's: its credentials or its room.
_SERVER_SIDE = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "SlowDown",
                "ServiceUnavailable", "InternalError", "RequestTimeout", "NoSuchBucket"}
_FULL = {"XMinioStorageFull", "QuotaExceeded", "XMinioAdminBucketQuotaExceeded"}


def make_client(endpoint_url: str | None) -> Any:
    """An S3 client with credentials and region from boto3's standard chain."""
    config = Config(
        signature_version="s3v4",
        # A server at its own endpoint (MinIO on one host) rarely resolves bucket subdomains.
        s3={"addressing_style": "path"} if endpoint_url else {},
        # boto3 >= 1.36 sends CRC32 checksums in aws-chunked bodies on every upload, which
        # several S3-compatible servers refuse; checksums where S3 demands them are enough.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    client = boto3.client("s3", endpoint_url=endpoint_url, config=config)
    client.meta.events.register("before-sign.s3.DeleteObjects", _use_content_md5)
    return client


def _use_content_md5(request: Any, **_: Any) -> None:
    """DeleteObjects with Content-MD5, as S3's API reference asks of it.

    boto3 >= 1.36 sends a CRC32 header instead: AWS takes it, MinIO and other S3-compatible
    servers answer MissingContentMD5 (minio/minio#20849).
    """
    for name in ("x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm"):
        del request.headers[name]
    digest = hashlib.md5(request.body, usedforsecurity=False).digest()
    request.headers["Content-MD5"] = base64.b64encode(digest).decode()


class S3Storage(Storage):
    def __init__(self, client: Any, bucket: str, prefix: str = "", *,
                 media_public_url: str | None = None, endpoint_url: str | None = None):
        self._client = client
        self.bucket = bucket
        self._root = f"{check_prefix(prefix).strip('/')}/" if prefix.strip("/") else ""
        self._media_public_url = media_public_url
        # Presigned URLs of AWS itself (no endpoint) name the bucket's own host, any region.
        endpoint = origin_of(endpoint_url) if endpoint_url else AWS_ORIGINS
        self._media_origins = tuple(origin_of(url) for url in (media_public_url, endpoint_url)
                                    if url) or (endpoint,)
        self._upload_origins = (endpoint,)

    def media_origins(self) -> tuple[str, ...]:
        return self._media_origins

    def upload_origins(self) -> tuple[str, ...]:
        return self._upload_origins

    def _key(self, key: str) -> str:
        return self._root + check_key(key)

    def put_file(self, key: str, path: Path, *, content_type: str | None = None) -> None:
        s3_key = self._key(key)
        if not Path(path).is_file():
            raise StorageError(f"cannot store {key!r} from {path}: no such file")
        extra = _content_type(key, content_type)
        # The managed transfer switches to a parallel multipart upload for large files.
        with _translated("store", key):
            self._client.upload_file(str(path), self.bucket, s3_key, ExtraArgs=extra)

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        extra = _content_type(key, content_type)
        with _translated("store", key):
            self._client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **extra)

    def get_bytes(self, key: str) -> bytes:
        with _translated("read", key):
            response = self._client.get_object(Bucket=self.bucket, Key=self._key(key))
            with response["Body"] as body:
                return body.read()

    def check_reachable(self) -> None:
        # HEAD of the bucket: a missing bucket would answer every object's HEAD with 404.
        with _translated("reach the bucket of", self.bucket):
            self._client.head_bucket(Bucket=self.bucket)

    def exists(self, key: str) -> bool:
        try:
            self.size_bytes(key)
        except _Missing:
            return False
        return True

    def size_bytes(self, key: str) -> int:
        with _translated("inspect", key):
            response = self._client.head_object(Bucket=self.bucket, Key=self._key(key))
        return response["ContentLength"]

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        name = check_key(key).rpartition("/")[2]
        with tempfile.TemporaryDirectory(prefix="motpub-") as directory:
            # Keeps the key's file name: ffmpeg guesses some formats from the extension.
            path = Path(directory) / name
            with _translated("download", key):
                self._client.download_file(self.bucket, self._key(key), str(path))
            yield path

    def delete(self, key: str) -> None:
        with _translated("delete", key):
            self._client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list_keys(prefix)
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = [{"Key": self._key(key)} for key in keys[start:start + _DELETE_BATCH]]
            with _translated("delete under", prefix):
                response = self._client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            if errors := response.get("Errors"):
                raise StorageError(f"cannot delete {errors[0]['Key']!r}: {errors[0]['Code']}")
        return len(keys)

    def list_keys(self, prefix: str) -> list[str]:
        check_prefix(prefix)
        keys = []
        with _translated("list", prefix):
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._root + prefix)
            for page in pages:
                keys += [item["Key"].removeprefix(self._root) for item in page.get("Contents", [])]
        return sorted(keys)

    def url(self, key: str, *, expires_s: int | None = None) -> str:
        if expires_s is None and self._media_public_url:
            return join_url(self._media_public_url, check_key(key))
        return self._presign("get_object", key, expires_s or DEFAULT_URL_EXPIRES_S)

    def set_public(self, prefix: str, public: bool) -> None:
        """Behind a public address (a CDN, the bucket's public URL) objects are private when
        written; those of published items get the public-read ACL, and lose it again when
        the item is unpublished. The bucket must accept ACLs and have no policy that makes
        every object public (docs/storage.md)."""
        if not self._media_public_url:
            return  # every URL is presigned: nothing is public
        acl = "public-read" if public else "private"

        def put_acl(key: str) -> None:
            with _translated("set the ACL of", key):
                self._client.put_object_acl(Bucket=self.bucket, Key=self._key(key), ACL=acl)

        # One request per object, and a video has hundreds of segments: in parallel.
        with ThreadPoolExecutor(max_workers=_ACL_WORKERS) as pool:
            list(pool.map(put_acl, self.list_keys(prefix)))

    def create_multipart(self, key: str, *, content_type: str) -> str:
        with _translated("start an upload of", key):
            response = self._client.create_multipart_upload(
                Bucket=self.bucket, Key=self._key(key), ContentType=content_type)
        return response["UploadId"]

    def part_url(self, key: str, upload_id: str, number: int, *, expires_s: int) -> str | None:
        check_part_number(number)
        return self._presign("upload_part", key, expires_s,
                             UploadId=upload_id, PartNumber=number)

    def write_part(self, key: str, upload_id: str, number: int, stream: BinaryIO, *,
                   max_bytes: int) -> Part:
        raise NotImplementedError("on S3 the browser PUTs each part to part_url")

    def list_parts(self, key: str, upload_id: str) -> list[Part]:
        parts = []
        with _translated("list the parts of", key):
            pages = self._client.get_paginator("list_parts").paginate(
                Bucket=self.bucket, Key=self._key(key), UploadId=upload_id)
            for page in pages:
                parts += [Part(item["PartNumber"], item["ETag"], item["Size"])
                          for item in page.get("Parts", [])]
        return parts

    def complete_multipart(self, key: str, upload_id: str,
                           parts: list[tuple[int, str]]) -> None:
        # Checked here first: S3's own refusal does not say which part was wrong.
        chosen = check_completion(parts, self.list_parts(key, upload_id))
        with _translated("complete", key):
            self._client.complete_multipart_upload(
                Bucket=self.bucket, Key=self._key(key), UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": part.number, "ETag": part.etag}
                                           for part in chosen]})

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            with _translated("abort the upload of", key):
                self._client.abort_multipart_upload(
                    Bucket=self.bucket, Key=self._key(key), UploadId=upload_id)
        except _UploadGone:
            return

    def abandoned_uploads(self, older_than_s: int) -> list[tuple[str, str]]:
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
        found = []
        with _translated("list uploads under", self._root):
            # No Prefix: MinIO lists uploads for a prefix only when it is a whole key
            # (minio/minio#20989), so the bucket's uploads are filtered here instead.
            pages = self._client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket)
            for page in pages:
                found += [(upload["Key"].removeprefix(self._root), upload["UploadId"])
                          for upload in page.get("Uploads", [])
                          if upload["Key"].startswith(self._root)
                          and upload["Initiated"] <= cutoff]
        return sorted(found)

    def allow_origins(self, origins: list[str]) -> list[dict]:
        """The bucket's CORS rule for motpub, put beside the rules it already has: studio
        pages PUT parts and read each part's ETag; visitor pages fetch playlists and
        segments (hls.js) and posters. Running it again replaces only motpub's rule."""
        with _translated("read the CORS rules of", self.bucket):
            try:
                rules = self._client.get_bucket_cors(Bucket=self.bucket)["CORSRules"]
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "NoSuchCORSConfiguration":
                    raise
                rules = []
        rules = [rule for rule in rules if rule.get("ID") != CORS_RULE_ID]
        rules.append({"ID": CORS_RULE_ID, "AllowedOrigins": list(origins),
                      "AllowedMethods": ["GET", "HEAD", "PUT"], "AllowedHeaders": ["*"],
                      "ExposeHeaders": ["ETag", "Content-Length", "Content-Range"],
                      "MaxAgeSeconds": 3600})
        with _translated("set the CORS rules of", self.bucket):
            self._client.put_bucket_cors(Bucket=self.bucket,
                                         CORSConfiguration={"CORSRules": rules})
        return rules

    def _presign(self, operation: str, key: str, expires_s: int, **params: Any) -> str:
        with _translated("sign a URL for", key):
            return self._client.generate_presigned_url(
                operation, Params={"Bucket": self.bucket, "Key": self._key(key), **params},
                ExpiresIn=expires_s)


class _Missing(StorageError):
    """No object at that key."""


class _UploadGone(StorageError):
    """The upload was completed, aborted or never existed."""


def _content_type(key: str, content_type: str | None) -> dict[str, str]:
    # S3 serves what was stored; a guess beats binary/octet-stream for a browser playing it.
    content_type = content_type or mimetypes.guess_type(key)[0]
    return {"ContentType": content_type} if content_type else {}


@contextmanager
def _translated(action: str, key: str) -> Iterator[None]:
    """boto3's errors as StorageError, with the key and S3's reason and no response dump."""
    try:
        yield
    except ClientError as error:
        details = error.response.get("Error", {})
        code = str(details.get("Code", ""))
        if code in _MISSING_OBJECT:
            raise _Missing(f"no object at {key!r}") from None
        if code == "NoSuchUpload":
            raise _UploadGone(f"no multipart upload for {key!r}") from None
        reason = details.get("Message") or code
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if code in _FULL:
            raise StorageFull(f"cannot {action} {key!r}: {code}: {reason}") from error
        if status >= 500 or code in _SERVER_SIDE:
            raise StorageUnavailable(f"cannot {action} {key!r}: {code}: {reason}") from error
        raise StorageError(f"cannot {action} {key!r}: {code}: {reason}") from error
    except (BotoCoreError, S3UploadFailedError) as error:
        # No connection, a timeout, or a transfer that failed after boto3's own retries.
        raise StorageUnavailable(f"cannot {action} {key!r}: {error}") from error
