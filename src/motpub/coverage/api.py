"""Coverage and translation status in the API: what is missing or stale, and confirming a
translation still matches its source."""

from __future__ import annotations

from flask import jsonify, request

from motpub.accounts.access import can_edit, requires
from motpub.coverage import representations as out
from motpub.coverage.services import translations
from motpub.coverage.services.coverage import CoverageQuery, Entry, list_coverage
from motpub.exhibitions.api import exhibition_json
from motpub.exhibitions.services import exhibitions as exhibition_service
from motpub.inputs import parse, parse_query
from motpub.items.api import item_json
from motpub.items.services import items as item_service
from motpub.web.audiences import api_blueprint
from motpub.web.context import db
from motpub.web.guards import json_body

bp = api_blueprint("coverage_api", __name__)


def entry_json(entry: Entry) -> dict:
    return out.CoverageEntry(
        kind=entry.subject.value, id=entry.thing.id, slug=entry.thing.slug,
        title=entry.thing.title,
        languages={lang: out.LanguageCoverage(status=coverage.status.value,
                                              missing=coverage.missing, stale=coverage.stale)
                   for lang, coverage in entry.languages.items()},
    ).model_dump()


@bp.get("/coverage")
@requires(can_edit)
def coverage():
    page = list_coverage(db(), parse_query(CoverageQuery, request.args))
    return jsonify(out.Coverage(languages=list(page.languages),
                                entries=[entry_json(entry) for entry in page.entries],
                                total=page.total).model_dump())


@bp.post("/items/<int:item_id>/translations/confirm")
@requires(can_edit)
def confirm_item_translation(item_id: int):
    item = item_service.get_item(db(), item_id)
    translations.confirm_translation(db(), item, parse(translations.ConfirmInput, json_body()))
    return jsonify(item_json(item))


@bp.post("/exhibitions/<int:exhibition_id>/translations/confirm")
@requires(can_edit)
def confirm_exhibition_translation(exhibition_id: int):
    exhibition = exhibition_service.get_exhibition(db(), exhibition_id)
    translations.confirm_translation(db(), exhibition,
                                     parse(translations.ConfirmInput, json_body()))
    return jsonify(exhibition_json(exhibition))
