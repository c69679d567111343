"""Media objects of the file backend, served by the app with HTTP Range support.

Objects never change once written (every transcode writes a new version prefix), so they are
cached for a year. With S3 or a CDN (MOTPUB_MEDIA_PUBLIC_URL) visitors never reach this.
"""

from __future__ import annotations

import posixpath

from flask import Blueprint, abort, current_app, request
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import parse_range_header
from werkzeug.utils import send_file

from motpub.storage import StorageError
from motpub.web.context import runtime
from motpub.web.extensions import csrf

bp = Blueprint("media", __name__, url_prefix="/media")
csrf.exempt(bp)

MIMETYPES = {".m3u8": "application/vnd.apple.mpegurl", ".m4s": "video/iso.segment",
             ".mp4": "video/mp4", ".jpg": "image/jpeg", ".webp": "image/webp",
             ".vtt": "text/vtt"}


@bp.get("/<path:key>")
def media_object(key: str):
    # Sources are editors' originals: never served.
    if key.startswith("sources/") or key.startswith("."):
        abort(404)
    storage = runtime().storage
    try:
        with storage.local_path(key) as path:
            if not path.is_file():
                abort(404)
            response = send_file(path, _with_usable_range(path.stat().st_size),
                                 mimetype=MIMETYPES.get(posixpath.splitext(key)[1]),
                                 conditional=True, max_age=31536000,
                                 response_class=current_app.response_class)
    except (StorageError, FileNotFoundError, NotImplementedError):
        abort(404)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _with_usable_range(size: int) -> dict:
    """The request's environ with its Range as RFC 9110 reads it. Werkzeug answers 416 to
    any Range it cannot serve; the RFC says to ignore a malformed one, and lets a server
    ignore several ranges, so those go and the whole file is sent (200)."""
    environ = dict(request.environ)
    usable = _usable_range(size) if "HTTP_RANGE" in environ else None
    if usable is None:
        environ.pop("HTTP_RANGE", None)
    else:
        environ["HTTP_RANGE"] = usable
    return environ


def _usable_range(size: int) -> str | None:
    """One range of a file of `size` bytes, or None: an over-long suffix means the whole
    file (206), and only a range starting past the end is unsatisfiable (416)."""
    wanted = parse_range_header(request.headers.get("Range"))
    if wanted is None or wanted.units != "bytes" or len(wanted.ranges) != 1:
        return None
    start, stop = wanted.ranges[0]
    if start < 0:  # the last -start bytes
        return f"bytes={max(size + start, 0)}-" if size else _unsatisfiable(size)
    if start >= size:
        _unsatisfiable(size)
    return f"bytes={start}-{stop - 1}" if stop is not None else f"bytes={start}-"


def _unsatisfiable(size: int):
    raise RequestedRangeNotSatisfiable(length=size)
