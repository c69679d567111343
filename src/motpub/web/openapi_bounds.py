"""The bounds of the integers the API takes, stated on every parameter and field they apply
to: ids are 1 to 2^31 - 1 everywhere (route, query and body), a part number 1 to 10,000."""

from __future__ import annotations

from motpub.inputs import MAX_ID
from motpub.storage.base import MAX_PART_NUMBER

_BY_NAME = {"number": (1, MAX_PART_NUMBER), "limit": (1, 500), "offset": (0, MAX_ID)}


def _bounds(name: str) -> tuple[int, int] | None:
    if name == "id" or name.endswith("_id"):
        return 1, MAX_ID
    return _BY_NAME.get(name)


def _is_integer(schema: object) -> bool:
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    return kind == "integer" or (isinstance(kind, list) and "integer" in kind)


def _bound(schema: dict, bounds: tuple[int, int]) -> None:
    schema.setdefault("minimum", bounds[0])
    schema.setdefault("maximum", bounds[1])


def bound_integers(node: object) -> object:
    """Add minimum and maximum to the document's id and count integers, in place."""
    if isinstance(node, dict):
        if "name" in node and _is_integer(node.get("schema")) \
                and (bounds := _bounds(node["name"])):
            _bound(node["schema"], bounds)
        for name, schema in (node.get("properties") or {}).items():
            if _is_integer(schema) and (bounds := _bounds(name)):
                _bound(schema, bounds)
            elif name.endswith("_ids") and isinstance(schema, dict) \
                    and _is_integer(schema.get("items")):
                _bound(schema["items"], (1, MAX_ID))
        for value in node.values():
            bound_integers(value)
    elif isinstance(node, list):
        for value in node:
            bound_integers(value)
    return node
