"""`POST /e`: engagement beacons from the visitor page (navigator.sendBeacon).

Small, validated, rate-limited per address, and never a 500: a beacon is fire-and-forget,
so anything that goes wrong while keeping it is logged and answered 204.
"""

from __future__ import annotations

import logging
import math
from typing import Annotated

from flask import jsonify, request, Response
from sqlalchemy import select
from motpub import metrics
from motpub.analytics.models.engagement import EngagementKind
from motpub.items.models import Item, ItemStatus
from motpub.media.models.video import Video
from motpub.codes.services.codes import resolve_code
from motpub.errors import ServiceError
from motpub.inputs import Id, Input, Language, parse, refusal
from motpub.web.audiences import public_blueprint
from pydantic import (
    AfterValidator, BeforeValidator, ConfigDict, Field, model_validator, StrictFloat, StrictInt,
    StrictStr)
from motpub.web.context import db, runtime
from motpub.web.extensions import limiter
from motpub.web.guards import load_json
from motpub.web.pages import read_target

log = logging.getLogger(__name__)
bp = public_blueprint("analytics_public", __name__)

MAX_BEACON_BYTES = 2048
_PERCENT_KINDS = {EngagementKind.VIDEO_PROGRESS, EngagementKind.READ_DEPTH}


def _finite(value: float) -> float:
    if not math.isfinite(value) or not 0 <= value <= 86_400_000:
        raise refusal("v must be a finite, non-negative number")
    return value


class Beacon(Input):
    """One engagement, in the short keys page.js sends; other keys are ignored."""

    model_config = ConfigDict(extra="ignore")
    k: EngagementKind
    i: Id
    s: StrictStr = Field(pattern=r"^[A-Za-z0-9_-]{8,32}$", description="the page session id")
    m: Id | None = None
    v: Annotated[StrictInt | StrictFloat, AfterValidator(_finite)] | None = None
    # page.js sends the page's language; an empty one is none.
    l: Annotated[Language | None, BeforeValidator(lambda value: value or None)] = None  # noqa: E741
    c: StrictStr | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,32}$",
                                description="the code the page was opened through")

    @model_validator(mode="after")
    def _percent(self):
        if self.k in _PERCENT_KINDS and self.v is not None and self.v not in (25, 50, 75, 100):
            raise refusal("v must be 25, 50, 75 or 100 for progress and read depth")
        return self


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
        fields = _fields(parse(Beacon, data))
    except ServiceError as error:
        return _bad(error.message)
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


def _fields(beacon: Beacon) -> dict:
    return {"item_id": beacon.i, "video_id": beacon.m, "page_session": beacon.s,
            "kind": beacon.k, "value": beacon.v, "language": beacon.l or "", "code": beacon.c}
