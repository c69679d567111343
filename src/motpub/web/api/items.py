from __future__ import annotations

from flask import jsonify, request

from motpub.domain import Item
from motpub.services import items as item_service
from motpub.services.errors import Invalid
from motpub.services.gs1 import digital_link_uri
from motpub.services.scans import item_stats
from motpub.web.api import bp, can_edit, can_see_stats, json_body, requires
from motpub.web.context import db, runtime, settings


def item_json(item: Item) -> dict:
    return {
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
    }


@bp.post("/items")
@requires(can_edit)
def create_item():
    data = item_service.parse(item_service.ItemInput, json_body())
    item = item_service.create_item(db(), data)
    return jsonify(item_json(item)), 201


def _bounded_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    """A whole-number query argument within the bounds the OpenAPI document states; an
    offset past what SQLite's 64-bit integers hold used to fail the query with a 500."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(f"{name} must be a whole number", field=name) from None
    if not minimum <= value <= maximum:
        raise Invalid(f"{name} must be between {minimum} and {maximum}", field=name)
    return value


@bp.get("/items")
@requires(can_edit)
def list_items():
    limit = _bounded_arg("limit", 100, 1, item_service.MAX_PAGE_SIZE)
    offset = _bounded_arg("offset", 0, 0, item_service.MAX_OFFSET)
    found = item_service.list_items(db(), limit=limit, offset=offset)
    return jsonify({"items": [item_json(item) for item in found],
                    "total": item_service.count_items(db())})


@bp.get("/items/<int:item_id>")
@requires(can_edit)
def get_item(item_id: int):
    return jsonify(item_json(item_service.get_item(db(), item_id)))


@bp.patch("/items/<int:item_id>")
@requires(can_edit)
def update_item(item_id: int):
    item = item_service.get_item(db(), item_id)
    data = item_service.parse(item_service.ItemPatch, json_body())
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
    return jsonify({"item_id": item.id, **item_stats(db(), item.id)})
