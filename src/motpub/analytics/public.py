"""`POST /e`: engagement beacons from the visitor page (navigator.sendBeacon).

Small, validated, rate-limited per address, and never a 500: a beacon is fire-and-forget,
so anything that goes wrong while keeping it is logged and answered 204.
"""

from __future__ import annotations

import logging
import math
import re

from flask import Response, jsonify, request
from sqlalchemy import select

from motpub import metrics
from motpub.analytics.models.engagement import EngagementKind
from motpub.items.models import Item, ItemStatus
from motpub.media.models.video import Video
from motpub.codes.services.codes import resolve_code
from motpub.errors import ServiceError
from motpub.inputs import MAX_ID
from motpub.web.audiences import public_blueprint
from motpub.i18n import content_languages
from motpub.web.context import db, runtime
from motpub.web.extensions import limiter
from motpub.web.guards import load_json
from motpub.web.pages import read_target

log = logging.getLogger(__name__)
bp = public_blueprint("analytics_public", __name__)

MAX_BEACON_BYTES = 2048
_SESSION = re.compile(r"^[A-Za-z0-9_-]{8,32}$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_PERCENT_KINDS = {EngagementKind.VIDEO_PROGRESS, EngagementKind.READ_DEPTH}


def _bad(message: str):
    _count("refused")
    return jsonify({"error": {"code": "bad_request", "message": message}}), 400


@bp.post("/e")
@limiter.limit("120 per minute")
def beacon():
    if (request.content_length or 0) > MAX_BEACON_BYTES:
        return _bad(f"a beacon is at most {MAX_BEACON_BYTES} bytes")
    try:
        data = load_json(request.get_data(cache=False)[:MAX_BEACON_BYTES + 1] or b"null")
    except ValueError:
        return _bad("a beacon is a JSON object")
    except ServiceError as error:  # nested too deep, or control characters
        return _bad(error.message)
    try:
        fields = _validate(data)
    except ValueError as error:
        return _bad(str(error))
    try:
        is_live = db().scalar(select(Item.id).where(Item.id == fields["item_id"],
                                                    Item.status == ItemStatus.PUBLISHED))
        if is_live:
            if fields["video_id"] is not None and db().scalar(select(Video.id).where(
                    Video.id == fields["video_id"], Video.item_id == fields["item_id"])) is None:
                fields["video_id"] = None
            runtime().scan_recorder.record_engagement(**_placement(fields))
            _count("accepted")
        else:
            _count("ignored")
    except Exception:  # a beacon never answers 500; the loss is logged
        log.exception("a beacon could not be recorded")
        _count("ignored")
    return Response(status=204)


def _count(outcome: str) -> None:
    if runtime().settings.metrics_token:
        metrics.beacon(outcome)


def _placement(fields: dict) -> dict:
    """The code and exhibition of the page, from the scanned code it reports: kept only when
    that code leads to the beacon's item, from the same lookup cache the scan page reads."""
    code = fields.pop("code")
    target = read_target(resolve_code, code) if code else None
    if target is not None and target.item_id == fields["item_id"]:
        return {**fields, "code_id": target.code_id, "exhibition_id": target.exhibition_id}
    return {**fields, "code_id": None, "exhibition_id": None}


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def _validate(data: object) -> dict:
    if not isinstance(data, dict):
        raise ValueError("a beacon is a JSON object")
    try:
        kind = EngagementKind(data.get("k"))
    except ValueError:
        raise ValueError("k must be one of " + ", ".join(k.value for k in EngagementKind)) \
            from None
    item_id, video_id, value = data.get("i"), data.get("m"), data.get("v")
    if not _is_id(item_id):
        raise ValueError("i must be an item id")
    if video_id is not None and not _is_id(video_id):
        raise ValueError("m must be a video id or absent")
    session = data.get("s")
    if not isinstance(session, str) or not _SESSION.match(session):
        raise ValueError("s must be the page session id (8 to 32 letters, digits, - or _)")
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or not 0 <= value <= 86_400_000:
            raise ValueError("v must be a finite, non-negative number")
        if kind in _PERCENT_KINDS and value not in (25, 50, 75, 100):
            raise ValueError("v must be 25, 50, 75 or 100 for progress and read depth")
    language = data.get("l") or ""
    if language not in ("", *content_languages()):
        raise ValueError(f"l must be one of {', '.join(content_languages())}")
    code = data.get("c")
    if code is not None and (not isinstance(code, str) or not _CODE.match(code)):
        raise ValueError("c must be the code the page was opened through, or absent")
    return {"item_id": item_id, "video_id": video_id, "page_session": session,
            "kind": kind, "value": value, "language": language, "code": code}
