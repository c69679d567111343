"""Media objects of the file backend, served by the app with HTTP Range support.

Objects never change once written (every transcode writes a new version prefix), so they are
cached for a year. With S3 or a CDN (MOTPUB_MEDIA_PUBLIC_URL) visitors never reach this.
"""

from __future__ import annotations

import posixpath

from flask import Blueprint, abort, send_file

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
            response = send_file(path, mimetype=MIMETYPES.get(posixpath.splitext(key)[1]),
                                 conditional=True, max_age=31536000)
    except (StorageError, FileNotFoundError, NotImplementedError):
        abort(404)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
