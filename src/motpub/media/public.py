"""Media objects served by the app: the file backend's objects at /media/<key>, with HTTP
Range support, and every backend's draft media at /media/~<token>/<key>.

Objects never change once written (every transcode writes a new version prefix), so those of
published items are cached for a year. With S3 or a CDN (MOTPUB_MEDIA_PUBLIC_URL) visitors
never reach this.

Media of an item that is not published is served only through a signed URL: the token
(expiry and HMAC with the secret key) covers the video's whole prefix, `videos/<id>/`, so
the relative URLs of its HLS playlists (variants, segments, captions) stay signed. On S3 a
signed playlist is read and served here, so that its relative URLs come back here too; the
other objects are a redirect to a presigned URL.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import posixpath
import time
from collections.abc import Callable

from flask import Response, abort, current_app, redirect, request
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import parse_range_header
from werkzeug.utils import send_file

from motpub.items.models import Item
from motpub.media.services.access import (
    image_id_of, is_image_public, is_video_public, video_id_of)
from motpub.avtools.hls import CONTENT_TYPES as AV_CONTENT_TYPES
from motpub.imaging import CONTENT_TYPES as IMAGE_CONTENT_TYPES
from motpub.storage import FileStorage, StorageError
from motpub.web.audiences import public_blueprint
from motpub.web.context import db, runtime, settings

# Every object is served with the type of what it is: derivatives were re-encoded by the
# worker, so a polyglot upload (a JPEG that is also HTML or ZIP) leaves nothing of itself,
# and nosniff (web.extensions) keeps browsers to the type.
CONTENT_TYPES = {**AV_CONTENT_TYPES, **IMAGE_CONTENT_TYPES}

bp = public_blueprint("media_public", __name__, url_prefix="/media")

# Long enough for an editor to watch a preview through; short enough that a link copied out
# of the studio stops working within the hour.
DRAFT_MEDIA_URL_EXPIRES_S = 3300
# Expiry times are rounded up to this step, so every page and API answer of the same few
# minutes gives the same URL, which the browser then has cached.
_EXPIRY_STEP_S = 300
_REDIRECT_EXPIRES_S = 300


def media_url_for(item: Item) -> Callable[[str], str]:
    """How the media of `item` is addressed: its public URLs once it is published, else
    signed URLs that expire (the studio's preview, the API's hls_url and poster_url)."""
    if item.is_published:
        return runtime().storage.url
    return functools.partial(signed_media_url, expires_s=DRAFT_MEDIA_URL_EXPIRES_S)


def signed_media_url(key: str, *, expires_s: int) -> str:
    expires = -(-(int(time.time()) + expires_s) // _EXPIRY_STEP_S) * _EXPIRY_STEP_S
    token = f"{expires}-{_signature(_scope(key), expires)}"
    return f"{settings().public_url.rstrip('/')}/media/~{token}/{key}"


def _scope(key: str) -> str:
    """What one token opens: a video's whole prefix (its versions and captions), an image's
    (its derivatives and tiles, which the zoom viewer asks for relative to the .dzi), or one
    key."""
    if (video_id := video_id_of(key)) is not None:
        return f"videos/{video_id}/"
    if (image_id := image_id_of(key)) is not None:
        return f"images/{image_id}/"
    return key


def _signature(scope: str, expires: int) -> str:
    message = f"motpub-media\n{scope}\n{expires}".encode()
    return hmac.new(settings().secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def _token_is_valid(token: str, key: str) -> bool:
    expires, _, signature = token.partition("-")
    if not expires.isdigit() or int(expires) < time.time():
        return False
    return hmac.compare_digest(signature, _signature(_scope(key), int(expires)))


def _is_public(key: str) -> bool:
    if (image_id := image_id_of(key)) is not None:
        answer = runtime().target_cache.get(("media-image", image_id),
                                            lambda: (is_image_public(db(), image_id),))
        return answer[0]
    video_id = video_id_of(key)
    if video_id is None:
        return True
    # Cached until the next content change (a publish, an unpublish, a deleted video).
    answer = runtime().target_cache.get(("media-video", video_id),
                                        lambda: (is_video_public(db(), video_id),))
    return answer[0]


@bp.get("/~<token>/<path:key>")
def signed_media_object(token: str, key: str):
    if key.startswith("sources/") or not _token_is_valid(token, key):
        abort(404)
    storage = runtime().storage
    expires = int(token.partition("-")[0])
    # Private: a shared cache must not hand a draft to others; the object itself never changes.
    cache_control = f"private, max-age={max(0, min(expires - int(time.time()), 3600))}, immutable"
    if isinstance(storage, FileStorage):
        response = _send(key)
    elif key.endswith((".m3u8", ".dzi")):  # read here, so its relative URLs come back signed
        try:
            response = Response(storage.get_bytes(key),
                                mimetype=CONTENT_TYPES[posixpath.splitext(key)[1]])
        except StorageError:
            abort(404)
    else:
        response = redirect(storage.url(key, expires_s=_REDIRECT_EXPIRES_S), code=302)
    response.headers["Cache-Control"] = cache_control
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/<path:key>")
def media_object(key: str):
    # Sources are editors' originals: never served. Drafts' media: only signed.
    if key.startswith("sources/") or key.startswith(".") or not _is_public(key):
        abort(404)
    response = _send(key)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _send(key: str):
    storage = runtime().storage
    try:
        with storage.local_path(key) as path:
            if not path.is_file():
                abort(404)
            return send_file(path, _with_usable_range(path.stat().st_size),
                             mimetype=CONTENT_TYPES.get(posixpath.splitext(key)[1]),
                             conditional=True, max_age=31536000,
                             response_class=current_app.response_class)
    except (StorageError, FileNotFoundError, NotImplementedError):
        abort(404)


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
