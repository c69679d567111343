"""The resumable upload's part endpoint, as videos and images share it: the file backend
takes parts at a URL of ours, signed for one upload, part and expiry; each part streams to
storage; the parts received so far are listed so that an upload can resume."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Protocol

from flask import Response, jsonify, request

from motpub.errors import Invalid, NotFound, Unauthorized
from motpub.media import representations as out
from motpub.storage import StorageError, StorageUnavailable
from motpub.web.context import runtime, settings

PART_URL_EXPIRES_S = 24 * 3600


class Upload(Protocol):
    """A video or image with an upload in progress."""

    id: int
    source_key: str
    upload_id: str | None
    part_size_bytes: int


def signature(scope: str, upload: Upload, number: int, expires: int) -> str:
    """The part URL's signature; `scope` ("" for videos, "image:" for images) keeps one kind's
    URL from opening another's upload of the same id."""
    message = f"{scope}{upload.id}:{upload.upload_id}:{number}:{expires}".encode()
    return hmac.new(settings().secret_key.encode(), message, hashlib.sha256).hexdigest()


def expiry() -> int:
    return int(time.time()) + PART_URL_EXPIRES_S


def receive_part(scope: str, upload: Upload | None, name: str, number: int) -> Response:
    """Check the signature in the request's URL, then stream the body to storage as part
    `number`; answers with the part's ETag."""
    expires = request.args.get("expires", type=int) or 0
    given = request.args.get("signature", "")
    if upload is None or upload.upload_id is None:
        raise NotFound(f"no upload in progress for {name}")
    if expires < time.time() or not hmac.compare_digest(
            given, signature(scope, upload, number, expires)):
        raise Unauthorized("the part URL is invalid or has expired; ask for a new one")
    # The body streams to disk; it is never held whole in memory. One byte over the part
    # size: behind gunicorn (wsgi.input_terminated) the stream raises 413 on any read past
    # this limit, and write_part reads one byte more to tell a full part from an oversized one.
    request.max_content_length = upload.part_size_bytes + 1
    try:
        part = runtime().storage.write_part(upload.source_key, upload.upload_id, number,
                                            request.stream, max_bytes=upload.part_size_bytes)
    except StorageUnavailable:
        raise  # the server's disk: 507 or 503 (web.errors), never the editor's part
    except StorageError as error:
        raise Invalid(str(error)) from None
    response = Response(status=200)
    response.headers["ETag"] = part.etag
    # Browsers may only read the ETag of a cross-origin response when it is exposed.
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    return response


def received_parts(upload: Upload) -> Response:
    """The parts stored so far, to resume an upload."""
    if upload.upload_id is None:
        return jsonify({"parts": []})
    parts = runtime().storage.list_parts(upload.source_key, upload.upload_id)
    return jsonify(out.PartList(parts=[
        out.ReceivedPart(number=p.number, etag=p.etag, size_bytes=p.size_bytes) for p in parts
    ]).model_dump())
