from __future__ import annotations

from flask import Response, jsonify, request

from motpub.codes.models.code import Code
from motpub.items.models import Item
from motpub.printing.qr import qr_pdf, qr_png, qr_svg
from motpub.codes.services import codes as code_service
from motpub.errors import ServiceError
from motpub.codes.services.gs1 import digital_link_uri
from motpub.items.services.items import get_item
from motpub.codes.services.print_options import QrQuery
from motpub.accounts.access import can_edit, requires
from motpub.codes import representations as out
from motpub.web.audiences import api_blueprint
from motpub.inputs import parse, parse_query
from motpub.web.context import db, settings

bp = api_blueprint("codes_api", __name__)


def code_json(code: Code) -> dict:
    return out.Code(**{
        "code": code.code,
        "url": code_service.code_url(settings().public_url, code.code),
        "label": code.label,
        "enabled": code.is_enabled,
        "item_id": code.item_id,
        "exhibition_id": code.exhibition_id,
        "created_at": code.created_at.isoformat(),
    }).model_dump()


def new_code_label() -> str:
    """The optional label of a code being issued; the body itself is optional too."""
    data = request.get_json(silent=True) if request.content_length else {}
    return parse(code_service.CodeLabelInput, data).label or ""


@bp.post("/items/<int:item_id>/codes")
@requires(can_edit)
def create_code(item_id: int):
    item = get_item(db(), item_id)
    code = code_service.issue_code(db(), item, label=new_code_label())
    return jsonify(code_json(code)), 201


@bp.get("/items/<int:item_id>/codes")
@requires(can_edit)
def list_codes(item_id: int):
    item = get_item(db(), item_id)
    return jsonify(out.CodeList(codes=[code_json(code) for code in item.codes]).model_dump())


def qr_content(code: Code, content: str) -> str:
    """What the square encodes: the short URL, or with content=gs1 the item's GS1 Digital
    Link URI, so one printed code serves retail scanners and phones alike."""
    if content == "url":
        return code_service.code_url(settings().public_url, code.code)
    item = db().get(Item, code.item_id) if code.item_id is not None else None
    if item is None or not item.gtin:
        raise ServiceError("the code's item has no GTIN: set one before printing "
                           "a GS1 Digital Link", field="content")
    return digital_link_uri(settings().public_url, item.gtin)


def qr_download(value: str, extension: str) -> Response:
    code = code_service.get_code(db(), value)
    query = parse_query(QrQuery, request.args)
    url = qr_content(code, query.content)
    style = query.style()
    if extension == "svg":
        body, mimetype = qr_svg(url, style=style), "image/svg+xml"
    elif extension == "png":
        body, mimetype = qr_png(url, style=style), "image/png"
    else:
        body, mimetype = qr_pdf(url, caption=url, style=style), "application/pdf"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="motpub-{code.code}.{extension}"'
    )
    return response


@bp.get("/codes/<value>/qr.<any(svg, png, pdf):extension>")
@requires(can_edit)
def code_qr(value: str, extension: str):
    return qr_download(value, extension)


def placement_json(code: Code) -> dict:
    return out.Placement(**code_json(code), history=[
        {"changed_at": change.changed_at.isoformat(), "item_id": change.item_id,
         "exhibition_id": change.exhibition_id, "label": change.label,
         "enabled": change.is_enabled}
        for change in code_service.code_history(db(), code)]).model_dump()


@bp.get("/codes/<value>")
@requires(can_edit)
def get_code(value: str):
    return jsonify(placement_json(code_service.get_code(db(), value)))


@bp.patch("/codes/<value>")
@requires(can_edit)
def update_code(value: str):
    """Relabel, disable or retarget a printed code; the print stays valid."""
    code = code_service.get_code(db(), value)
    data = parse(code_service.CodePatch, request.get_json(silent=True))
    code_service.update_code(db(), code, data)
    return jsonify(placement_json(code))
