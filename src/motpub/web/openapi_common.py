"""What every part of the OpenAPI document is built with: references, responses, and the
schemas and parameters of pydantic models (the ones requests are validated with and answers
are built from), so the document cannot drift from the code."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

REF_TEMPLATE = "#/components/schemas/{model}"


def ref(name: str) -> dict:
    return {"$ref": REF_TEMPLATE.format(model=name)}


def json_content(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def ok(description: str, schema: dict | None = None, status: str = "200") -> dict:
    response: dict = {"description": description}
    if schema:
        response.update(json_content(schema))
    return {status: response}


def errors(*statuses: int) -> dict:
    return {str(status): {"$ref": "#/components/responses/Error"} for status in statuses}


def body(model: type[BaseModel], *, required: bool = True) -> dict:
    """A JSON request body validated by `model`, named in the components."""
    return {"required": required, **json_content(ref(model.__name__))}


def path_parameter(name: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "path", "required": True,
            "schema": schema or {"type": "integer"}}


def _simplified(node: Any) -> Any:
    """pydantic's schema, written as a reader expects: `T | None` as a type list (so the
    bounds of an optional id sit beside its type) and without generated titles."""
    if isinstance(node, list):
        return [_simplified(value) for value in node]
    if not isinstance(node, dict):
        return node
    node = {key: _simplified(value) for key, value in node.items()}
    if isinstance(node.get("properties"), dict):
        for schema in node["properties"].values():
            if isinstance(schema, dict):
                schema.pop("title", None)
    variants = node.get("anyOf")
    if isinstance(variants, list) and len(variants) == 2 and {"type": "null"} in variants:
        other = next(variant for variant in variants if variant != {"type": "null"})
        if isinstance(other.get("type"), str):
            del node["anyOf"]
            merged = {**other, **node, "type": [other["type"], "null"]}
            if "enum" in merged:
                merged["enum"] = [*merged["enum"], None]
            return merged
    return node


def schemas_of(*models: type[BaseModel]) -> dict:
    """The component schemas of `models` and of every model they refer to, by class name."""
    found: dict = {}
    for model in models:
        schema = _simplified(model.model_json_schema(ref_template=REF_TEMPLATE))
        found.update(schema.pop("$defs", {}))
        found[model.__name__] = schema
    return found


def inline_schema(model: type[BaseModel]) -> dict:
    """The schema of `model` with the models it refers to written in place."""
    schema = _simplified(model.model_json_schema(ref_template=REF_TEMPLATE))
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, list):
            return [resolve(value) for value in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"$ref"} and node["$ref"].rsplit("/", 1)[-1] in definitions:
            return resolve(definitions[node["$ref"].rsplit("/", 1)[-1]])
        return {key: resolve(value) for key, value in node.items()}

    return resolve(schema)


def query_parameters(model: type[BaseModel]) -> list[dict]:
    """One query parameter per field of `model`; a query value is never null, so an optional
    field is one that may be left out."""
    schema = _simplified(model.model_json_schema(by_alias=True))
    required = set(schema.get("required", ()))
    parameters = []
    for name, field in schema["properties"].items():
        field = dict(field)
        if isinstance(field.get("type"), list):
            field["type"] = next(kind for kind in field["type"] if kind != "null")
            if "enum" in field:
                field["enum"] = [value for value in field["enum"] if value is not None]
        if field.get("default", ...) is None:
            del field["default"]
        description = field.pop("description", None)
        parameter = {"name": name, "in": "query", "schema": field}
        if name in required:
            parameter["required"] = True
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters
