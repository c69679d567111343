from __future__ import annotations

from flask import Response, jsonify, request

from motpub.domain import Code
from motpub.media.qr import ERROR_CORRECTION, qr_pdf, qr_png, qr_svg
from motpub.services import codes as code_service
from motpub.services.errors import Invalid
from motpub.services.items import get_item
from motpub.web.api import bp, can_edit, requires
from motpub.web.context import db, settings


def code_json(code: Code) -> dict:
    return {
        "code": code.code,
        "url": code_service.code_url(settings().public_url, code.code),
        "label": code.label,
        "enabled": code.is_enabled,
        "item_id": code.item_id,
        "created_at": code.created_at.isoformat(),
    }


@bp.post("/items/<int:item_id>/codes")
@requires(can_edit)
def create_code(item_id: int):
    item = get_item(db(), item_id)
    data = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(data, dict):
        raise Invalid("the request body must be a JSON object")
    label = data.get("label") or ""
    if not isinstance(label, str):
        raise Invalid("label must be a string", field="label")
    code = code_service.issue_code(db(), item, label=label)
    db().commit()
    return jsonify(code_json(code)), 201


@bp.get("/items/<int:item_id>/codes")
@requires(can_edit)
def list_codes(item_id: int):
    item = get_item(db(), item_id)
    return jsonify({"codes": [code_json(code) for code in item.codes]})


def qr_options() -> str:
    level = request.args.get("ec", "M").upper()
    if level not in ERROR_CORRECTION:
        raise Invalid("ec must be one of L, M, Q, H", field="ec")
    return level


def qr_download(value: str, extension: str) -> Response:
    code = code_service.get_code(db(), value)
    url = code_service.code_url(settings().public_url, code.code)
    level = qr_options()
    if extension == "svg":
        body, mimetype = qr_svg(url, error_correction=level), "image/svg+xml"
    elif extension == "png":
        body, mimetype = qr_png(url, error_correction=level), "image/png"
    else:
        body, mimetype = qr_pdf(url, caption=url, error_correction=level), "application/pdf"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="motpub-{code.code}.{extension}"'
    )
    return response


@bp.get("/codes/<value>/qr.<any(svg, png, pdf):extension>")
@requires(can_edit)
def code_qr(value: str, extension: str):
    return qr_download(value, extension)
