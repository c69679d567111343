"""The OpenAPI 3 document. Request schemas come from the models the services validate with,
and a test checks that every route of this blueprint is described here and nothing more."""

from __future__ import annotations

from functools import cache

from flask import jsonify

from motpub.items.services.items import ItemInput, ItemPatch, MAX_OFFSET, MAX_PAGE_SIZE
from motpub.media.services.videos import AUDIO_TYPES, VIDEO_TYPES
from motpub.codes import openapi as openapi_gs1
from motpub.web.openapi_bounds import bound_integers
from motpub.web.audiences import api_blueprint
from motpub.web.openapi_languages import (
    BY_LANGUAGE, fill_languages, LANGUAGE, LANGUAGE_OR_NULL, LOCALIZED)
from motpub.web.context import settings

bp = api_blueprint("openapi_api", __name__)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _ok(description: str, schema: dict | None = None, status: str = "200") -> dict:
    response = {"description": description}
    if schema:
        response.update(_json(schema))
    return {status: response}


def _errors(*statuses: int) -> dict:
    return {str(status): {"$ref": "#/components/responses/Error"} for status in statuses}


_ITEM_ID = {"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
_EC = {"name": "ec", "in": "query", "schema": {"type": "string", "enum": ["L", "M", "Q", "H"],
                                                 "default": "M"}}

_CONTENT = {"name": "content", "in": "query",
            "schema": {"type": "string", "enum": ["url", "gs1"], "default": "url"},
            "description": "url: the short URL; gs1: the item's GS1 Digital Link URI "
                           "(400 when the item has no GTIN)"}

_LOCALIZED = LOCALIZED

_ITEM = {
    "type": "object",
    "required": ["id", "slug", "status", "page_url", "title"],
    "properties": {
        "id": {"type": "integer"},
        "slug": {"type": "string"},
        "status": {"type": "string", "enum": ["draft", "published"]},
        "default_language": LANGUAGE,
        "title": _LOCALIZED,
        "summary": _LOCALIZED,
        "body": _LOCALIZED,
        "links": {"type": "array", "items": {"type": "object", "properties": {
            "url": {"type": "string", "format": "uri"}, "title": _LOCALIZED}}},
        "revision": {"type": "integer"},
        "page_url": {"type": "string", "format": "uri"},
        "gtin": {"type": ["string", "null"], "description": "14 digits"},
        "digital_link": {"type": ["string", "null"], "format": "uri",
                         "description": "the GS1 Digital Link URI of the GTIN"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "published_at": {"type": ["string", "null"], "format": "date-time"},
    },
}

_CODE_SCHEMA = {
    "type": "object",
    "required": ["code", "url", "label", "enabled"],
    "properties": {
        "code": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
        "label": {"type": "string"},
        "enabled": {"type": "boolean"},
        "item_id": {"type": ["integer", "null"]},
        "exhibition_id": {"type": ["integer", "null"],
                          "description": "set on an exhibition's entrance code instead of item_id"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}


def _qr_path(mimetype: str) -> dict:
    from motpub.exhibitions.openapi import PRINT_OPTIONS

    return {"get": {
        "summary": f"The code's QR as {mimetype}",
        "parameters": [_CODE, _EC, *PRINT_OPTIONS, _CONTENT],
        "responses": {"200": {"description": "the QR code",
                              "content": {mimetype: {}}}, **_errors(400, 401, 403, 404, 422)},
    }}


def _page_parameters() -> list[dict]:
    return [{"name": "limit", "in": "query", "schema": {
                "type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 100}},
            {"name": "offset", "in": "query", "schema": {
                "type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}}]


def _item_action(summary: str) -> dict:
    return {"post": {"summary": summary, "parameters": [_ITEM_ID],
                     "responses": {**_ok("the item", _ref("Item")), **_errors(401, 403, 404)}}}


@cache
def build_document() -> dict:
    from motpub.analytics import openapi as analytics_parts
    from motpub.exhibitions import openapi as exhibition_parts
    from motpub.media import openapi as media_parts

    schemas = {
        "ItemInput": ItemInput.model_json_schema(ref_template="#/components/schemas/{model}"),
        "ItemPatch": ItemPatch.model_json_schema(ref_template="#/components/schemas/{model}"),
    }
    for schema in list(schemas.values()):
        schemas.update(schema.pop("$defs", {}))
    schemas["Item"] = _ITEM
    schemas["UploadRequest"] = _upload_request()
    schemas["Upload"] = {
        "type": "object", "required": ["video_id", "upload"],
        "properties": {"video_id": {"type": "integer"}, "upload": {
            "type": "object", "properties": {
                "part_size_bytes": {"type": "integer"},
                "parts": {"type": "array", "items": {"type": "object", "properties": {
                    "number": {"type": "integer"}, "url": {"type": "string"}}}},
                "complete_url": {"type": "string"}}}}}
    schemas["Video"] = {
        "type": "object",
        "required": ["status", "progress", "error", "duration_s", "width", "height",
                     "renditions", "hls_url", "poster_url", "captions"],
        "properties": {
            "id": {"type": "integer"}, "video_id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["video", "audio"]},
            "language": {"type": ["string", "null"]},
            "status": {"type": "string",
                       "enum": ["uploading", "queued", "processing", "ready", "failed"]},
            "progress": {"type": "number", "minimum": 0, "maximum": 1},
            "error": {**BY_LANGUAGE, "type": ["object", "null"]},
            "notice": {**BY_LANGUAGE, "type": ["object", "null"], "description": (
                "set when the file turned out to be other than its declared content_type: "
                "the probe decides, so a file with a picture becomes a video and one with "
                "sound only an audio guide, whatever the upload said; `kind` is what it "
                "became")},
            "duration_s": {"type": ["number", "null"]},
            "width": {"type": ["integer", "null"]}, "height": {"type": ["integer", "null"]},
            "renditions": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "width": {"type": ["integer", "null"]},
                "height": {"type": ["integer", "null"]}, "bandwidth": {"type": "integer"},
                "average_bandwidth": {"type": "integer"}, "codecs": {"type": "string"}}}},
            "hls_url": {"type": ["string", "null"]},
            "preview_url": {"type": ["string", "null"]},
            "poster_url": {"type": ["string", "null"]},
            "captions": {"type": "array", "items": {"type": "object", "properties": {
                "language": {"type": "string"}, "url": {"type": "string"}}}},
        },
    }
    schemas["Code"] = _CODE_SCHEMA
    schemas["CodePatch"] = {"type": "object", "additionalProperties": False, "properties": {
        "item_id": {"type": "integer", "description": "retarget to this item"},
        "label": {"type": "string", "maxLength": 200, "description": 'e.g. "Hall 2, case 14"'},
        "enabled": {"type": "boolean",
                    "description": "a disabled code answers a bilingual page and counts as an "
                                   "orphan scan"}}}
    schemas["Placement"] = {"allOf": [_ref("Code"), {"type": "object", "properties": {
        "history": {"type": "array", "description": "the code's placements, oldest first",
                    "items": {"type": "object", "properties": {
                        "changed_at": {"type": "string", "format": "date-time"},
                        "item_id": {"type": ["integer", "null"]},
                        "exhibition_id": {"type": ["integer", "null"]},
                        "label": {"type": "string"}, "enabled": {"type": "boolean"}}}}}}]}
    schemas.update(exhibition_parts.schemas())
    schemas["Error"] = {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"],
                                 "properties": {"code": {"type": "string"},
                                                "message": {"type": "string"},
                                                "field": {"type": "string"}}}},
    }
    paths = {
        "/items": {
            "get": {"summary": "List items, newest first",
                    "parameters": _page_parameters(),
                    "responses": {**_ok("items", {"type": "object", "properties": {
                        "items": {"type": "array", "items": _ref("Item")},
                        "total": {"type": "integer"}}}), **_errors(401, 403, 422)}},
            "post": {"summary": "Create a draft item",
                     "requestBody": {"required": True, **_json(_ref("ItemInput"))},
                     "responses": {**_ok("the new item", _ref("Item"), "201"),
                                   **_errors(400, 401, 403, 409, 413, 422)}},
        },
        "/items/{item_id}": {
            "get": {"summary": "One item", "parameters": [_ITEM_ID],
                    "responses": {**_ok("the item", _ref("Item")), **_errors(401, 403, 404)}},
            "patch": {"summary": "Change an item; absent fields stay",
                      "parameters": [_ITEM_ID],
                      "requestBody": {"required": True, **_json(_ref("ItemPatch"))},
                      "responses": {**_ok("the item", _ref("Item")),
                                    **_errors(400, 401, 403, 404, 409, 413, 422)}},
        },
        "/items/{item_id}/publish": _item_action("Publish an item"),
        "/items/{item_id}/unpublish": _item_action("Take an item back to draft"),
        "/items/{item_id}/codes": {
            "get": {"summary": "The item's codes", "parameters": [_ITEM_ID],
                    "responses": {**_ok("codes", {"type": "object", "properties": {
                        "codes": {"type": "array", "items": _ref("Code")}}}),
                        **_errors(401, 403, 404)}},
            "post": {"summary": "Issue a new code for the item", "parameters": [_ITEM_ID],
                     "requestBody": {"required": False, **_json({
                         "type": "object", "properties": {"label": {"type": "string",
                                                                    "maxLength": 200}}})},
                     "responses": {**_ok("the new code", _ref("Code"), "201"),
                                   **_errors(400, 401, 403, 404, 422)}},
        },
        "/items/{item_id}/stats": {
            "get": {"summary": "Scans of the item that were served a page",
                    "parameters": [_ITEM_ID],
                    "responses": {**_ok("stats", {"type": "object", "required": ["scans"],
                                                  "properties": {
                                                      "item_id": {"type": "integer"},
                                                      "scans": {"type": "integer"},
                                                      "orphan_scans": {"type": "integer"}}}),
                                  **_errors(401, 403, 404)}},
        },
        "/codes/{code}": {
            "get": {"summary": "A printed code: its placement and the history of its changes",
                    "parameters": [_CODE],
                    "responses": {**_ok("the code", _ref("Placement")),
                                  **_errors(401, 403, 404)}},
            "patch": {"summary": "Relabel, disable or retarget a code without reprinting it",
                      "parameters": [_CODE],
                      "requestBody": {"required": True, **_json(_ref("CodePatch"))},
                      "responses": {**_ok("the code", _ref("Placement")),
                                    **_errors(400, 401, 403, 404, 422)}},
        },
        "/codes/{code}/qr.svg": _qr_path("image/svg+xml"),
        "/codes/{code}/qr.png": _qr_path("image/png"),
        "/codes/{code}/qr.pdf": _qr_path("application/pdf"),
        **media_parts.paths(),
        **analytics_parts.paths(),
        "/openapi.json": {"get": {"summary": "This document", "security": [],
                                  "responses": _ok("OpenAPI 3 document", {"type": "object"})}},
    }
    paths.update(exhibition_parts.paths())
    _document_body_limit(paths)
    paths.update(openapi_gs1.paths())
    return bound_integers({
        "openapi": "3.1.0",
        "info": {"title": "motpub API", "version": "1",
                 "description": "A request body larger than MOTPUB_MAX_REQUEST_BYTES (1 MiB "
                                "by default) is refused with 413; the file parts of an "
                                "upload have their own limit, the part size of the plan."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {"description": "an error", **_json(_ref("Error"))}},
        },
    })


def _upload_request() -> dict:
    types = sorted(VIDEO_TYPES | AUDIO_TYPES)
    return {
        "type": "object", "required": ["filename", "size_bytes", "content_type"],
        "properties": {
            "language": LANGUAGE_OR_NULL,
            "filename": {"type": "string", "minLength": 1, "maxLength": 255,
                         "pattern": r"\S"},
            "size_bytes": {"type": "integer", "minimum": 1,
                           "description": "at most MOTPUB_MAX_UPLOAD_BYTES"},
            "content_type": {"type": "string", "enum": types,
                             "description": "a video or audio type; parameters after `;` "
                                            "and letter case are ignored"}}}


def _document_body_limit(paths: dict) -> None:
    """Every operation that takes a body may be refused with 413 for its size."""
    for operations in paths.values():
        for operation in operations.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation["responses"].setdefault("413", {"$ref": "#/components/responses/Error"})


def _with_settings(document: dict) -> dict:
    """The cached document with this deployment's configured limits filled in."""
    schemas = dict(document["components"]["schemas"])
    upload = schemas["UploadRequest"]
    size = {**upload["properties"]["size_bytes"], "maximum": settings().max_upload_bytes}
    schemas["UploadRequest"] = {**upload, "properties": {**upload["properties"],
                                                         "size_bytes": size}}
    return fill_languages(
        {**document, "components": {**document["components"], "schemas": schemas}})


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(_with_settings(build_document()))
