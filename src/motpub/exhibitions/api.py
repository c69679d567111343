from __future__ import annotations

from flask import Response, jsonify, request

from motpub.coverage.models import Subject
from motpub.coverage.services import translations
from motpub.exhibitions.models import Exhibition
from motpub.exhibitions.services import exhibitions as exhibition_service

from motpub.codes.services.labels import exhibition_label_sheet, LabelSheetQuery, printable_labels
from motpub.accounts.access import can_edit, can_see_stats, requires
from motpub.exhibitions import representations as out
from motpub.codes.api.codes import code_json, new_code_label
from motpub.codes.api.label_jobs import label_sheet_args, queued_label_sheet
from motpub.web.audiences import api_blueprint
from motpub.web.guards import json_body
from motpub.inputs import parse, parse_query
from motpub.web.context import db, settings

bp = api_blueprint("exhibitions_api", __name__)


def exhibition_json(exhibition: Exhibition, bases: dict | None = None) -> dict:
    """`bases`: its translations' bases, when loaded with others' (translations.bases_of)."""
    status = (translations.translation_status(exhibition, bases) if bases is not None
              else translations.status_for(db(), exhibition))
    return out.Exhibition(**{
        "id": exhibition.id,
        "slug": exhibition.slug,
        "title": exhibition.title,
        "intro": exhibition.intro,
        "venue": exhibition.venue,
        "timezone": exhibition.timezone,
        "starts_on": exhibition.starts_on.isoformat() if exhibition.starts_on else None,
        "ends_on": exhibition.ends_on.isoformat() if exhibition.ends_on else None,
        "item_ids": [entry.item_id for entry in exhibition.entries],
        "codes": [code_json(code) for code in exhibition.codes],
        "page_url": f"{settings().public_url}/x/{exhibition.slug}",
        "created_at": exhibition.created_at.isoformat(),
        "updated_at": exhibition.updated_at.isoformat(),
        "translation_status": status,
        "orphaned_languages": translations.orphaned_languages(exhibition),
    }).model_dump()


@bp.post("/exhibitions")
@requires(can_edit)
def create_exhibition():
    data = parse(exhibition_service.ExhibitionInput, json_body())
    exhibition = exhibition_service.create_exhibition(db(), data)
    return jsonify(exhibition_json(exhibition)), 201


@bp.get("/exhibitions")
@requires(can_see_stats)
def list_exhibitions():
    found = exhibition_service.list_exhibitions(db())
    bases = translations.bases_of(db(), found)
    return jsonify(out.ExhibitionList(exhibitions=[
        exhibition_json(exhibition, bases.get((Subject.EXHIBITION, exhibition.id), {}))
        for exhibition in found]).model_dump())


@bp.get("/exhibitions/<int:exhibition_id>")
@requires(can_see_stats)
def get_exhibition(exhibition_id: int):
    return jsonify(exhibition_json(exhibition_service.get_exhibition(db(), exhibition_id)))


@bp.patch("/exhibitions/<int:exhibition_id>")
@requires(can_edit)
def update_exhibition(exhibition_id: int):
    exhibition = exhibition_service.get_exhibition(db(), exhibition_id)
    data = parse(exhibition_service.ExhibitionPatch, json_body())
    exhibition_service.update_exhibition(db(), exhibition, data)
    return jsonify(exhibition_json(exhibition))


@bp.delete("/exhibitions/<int:exhibition_id>")
@requires(can_edit)
def delete_exhibition(exhibition_id: int):
    exhibition_service.delete_exhibition(
        db(), exhibition_service.get_exhibition(db(), exhibition_id))
    return Response(status=204)


@bp.put("/exhibitions/<int:exhibition_id>/items")
@requires(can_edit)
def set_exhibition_items(exhibition_id: int):
    exhibition = exhibition_service.get_exhibition(db(), exhibition_id)
    data = parse(exhibition_service.ExhibitionItemsInput, json_body())
    exhibition_service.set_exhibition_items(db(), exhibition, data.item_ids)
    return jsonify(exhibition_json(exhibition))


@bp.post("/exhibitions/<int:exhibition_id>/codes")
@requires(can_edit)
def create_exhibition_code(exhibition_id: int):
    exhibition = exhibition_service.get_exhibition(db(), exhibition_id)
    code = exhibition_service.issue_exhibition_code(db(), exhibition, label=new_code_label())
    return jsonify(code_json(code)), 201


@bp.get("/exhibitions/<int:exhibition_id>/labels.pdf")
@requires(can_edit)
def exhibition_labels(exhibition_id: int):
    exhibition = exhibition_service.get_exhibition(db(), exhibition_id)
    query = parse_query(LabelSheetQuery, label_sheet_args(request.args))
    template, languages = query.template, query.sheet_languages()
    labels = printable_labels(exhibition, template=template, public_url=settings().public_url,
                              languages=languages)
    if len(labels) > settings().max_direct_labels:
        return queued_label_sheet(exhibition, template, len(labels), languages)
    pdf = exhibition_label_sheet(exhibition, template=template,
                                 public_url=settings().public_url, languages=languages,
                                 font_path=settings().cjk_font_path, labels=labels)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="motpub-{exhibition.slug}-{template}.pdf"')
    return response
