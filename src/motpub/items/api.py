from __future__ import annotations

from flask import jsonify, request

from motpub.coverage.models import Subject
from motpub.coverage.services import translations
from motpub.items.models import Item
from motpub.items.services import items as item_service
from motpub.codes.services.gs1 import digital_link_uri
from motpub.analytics.services.scans import item_stats
from motpub.accounts.access import can_edit, can_see_stats, requires
from motpub.items import representations as out
from motpub.web.audiences import api_blueprint
from motpub.web.guards import json_body
from motpub.inputs import parse_query, parse
from motpub.web.context import db, runtime, settings

bp = api_blueprint("items_api", __name__)


def item_json(item: Item, bases: dict | None = None) -> dict:
    """The item as the API answers it; `bases`, its translations' bases when they were
    loaded with those of other items (translations.bases_of), else they are read here."""
    status = (translations.translation_status(item, bases) if bases is not None
              else translations.status_for(db(), item))
    return out.Item(**{
        "id": item.id,
        "slug": item.slug,
        "status": item.status.value,
        "default_language": item.default_language,
        "title": item.title,
        "summary": item.summary,
        "body": item.body,
        "links": item.links,
        "gtin": item.gtin,
        "digital_link": digital_link_uri(settings().public_url, item.gtin) if item.gtin else None,
        "revision": item.revision,
        "page_url": f"{settings().public_url}/i/{item.slug}",
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
        "published_at": item.published_at.isoformat() if item.published_at else None,
        "translation_status": status,
        "orphaned_languages": translations.orphaned_languages(item),
    }).model_dump()


@bp.post("/items")
@requires(can_edit)
def create_item():
    data = parse(item_service.ItemInput, json_body())
    item = item_service.create_item(db(), data)
    return jsonify(item_json(item)), 201


@bp.get("/items")
@requires(can_edit)
def list_items():
    page = parse_query(item_service.ItemPage, request.args)
    found = item_service.list_items(db(), limit=page.limit, offset=page.offset)
    bases = translations.bases_of(db(), found)
    return jsonify(out.ItemList(items=[item_json(item, bases.get((Subject.ITEM, item.id), {}))
                                       for item in found],
                                total=item_service.count_items(db())).model_dump())


@bp.get("/items/<int:item_id>")
@requires(can_edit)
def get_item(item_id: int):
    return jsonify(item_json(item_service.get_item(db(), item_id)))


@bp.patch("/items/<int:item_id>")
@requires(can_edit)
def update_item(item_id: int):
    item = item_service.get_item(db(), item_id)
    data = parse(item_service.ItemPatch, json_body())
    item_service.update_item(db(), item, data)
    return jsonify(item_json(item))


@bp.post("/items/<int:item_id>/publish")
@requires(can_edit)
def publish_item(item_id: int):
    item = item_service.publish_item(db(), item_service.get_item(db(), item_id))
    return jsonify(item_json(item))


@bp.post("/items/<int:item_id>/unpublish")
@requires(can_edit)
def unpublish_item(item_id: int):
    item = item_service.unpublish_item(db(), item_service.get_item(db(), item_id))
    return jsonify(item_json(item))


@bp.get("/items/<int:item_id>/stats")
@requires(can_see_stats)
def get_item_stats(item_id: int):
    item = item_service.get_item(db(), item_id)
    # Scans this process still holds in memory are written first, so the figure is current.
    runtime().scan_recorder.flush()
    return jsonify(out.ItemStats(item_id=item.id, **item_stats(db(), item.id)).model_dump())
