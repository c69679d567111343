from __future__ import annotations

from flask import Response, jsonify, request

from motpub.codes.services import bulk
from motpub.errors import ServiceError
from motpub.inputs import parse
from motpub.accounts.access import can_edit, requires
from motpub.codes import representations as out
from motpub.codes.api.codes import code_json
from motpub.web.audiences import api_blueprint
from motpub.web.guards import json_body
from motpub.web.context import db
from motpub.web.errors import api_error

bp = api_blueprint("codes_bulk_api", __name__)


def _csv_text() -> str:
    """The CSV from a multipart `file` field or the raw body, as UTF-8 (a BOM is fine)."""
    upload = request.files.get("file")
    raw = upload.read() if upload else request.get_data()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError("the CSV must be encoded in UTF-8") from None


@bp.post("/items/import")
@requires(can_edit)
def import_items():
    try:
        created, updated = bulk.import_items_csv(db(), _csv_text())
    except bulk.ImportRejected as error:
        return api_error(error.status, error.message, error.code, rows=[
            {"row": row, "message": message} for row, message in error.problems])
    return jsonify({"created": [item.id for item in created],
                    "updated": [item.id for item in updated]}), 200


@bp.get("/items/export.csv")
@requires(can_edit)
def export_items():
    # With a byte order mark, spreadsheets open the file as UTF-8 and show the Chinese.
    response = Response("\ufeff" + bulk.export_items_csv(db()), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="motpub-items.csv"'
    return response


@bp.post("/codes/batch")
@requires(can_edit)
def create_codes_batch():
    data = parse(bulk.CodeBatchInput, json_body())
    codes = bulk.issue_codes_batch(db(), data.item_ids, count=data.count, label=data.label)
    return jsonify(out.CodeList(codes=[code_json(code) for code in codes]).model_dump()), 201
