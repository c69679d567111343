"""The OpenAPI 3 document. Request schemas come from the models the services validate with,
and a test checks that every route of this blueprint is described here and nothing more."""

from __future__ import annotations

from functools import cache

from flask import jsonify

from motpub.services.items import ItemInput, ItemPatch
from motpub.web.api import bp, openapi_gs1


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
_VIDEO_ID = {"name": "video_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_EC = {"name": "ec", "in": "query", "schema": {"type": "string", "enum": ["L", "M", "Q", "H"],
                                                 "default": "M"}}

_CONTENT = {"name": "content", "in": "query",
            "schema": {"type": "string", "enum": ["url", "gs1"], "default": "url"},
            "description": "url: the short URL; gs1: the item's GS1 Digital Link URI "
                           "(400 when the item has no GTIN)"}

_LOCALIZED = {
    "type": "object",
    "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
    "additionalProperties": False,
}

_ITEM = {
    "type": "object",
    "required": ["id", "slug", "status", "page_url", "title"],
    "properties": {
        "id": {"type": "integer"},
        "slug": {"type": "string"},
        "status": {"type": "string", "enum": ["draft", "published"]},
        "default_language": {"type": "string", "enum": ["zh", "en"]},
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
    from motpub.web.api.openapi_exhibitions import PRINT_OPTIONS

    return {"get": {
        "summary": f"The code's QR as {mimetype}",
        "parameters": [_CODE, _EC, *PRINT_OPTIONS, _CONTENT],
        "responses": {"200": {"description": "the QR code",
                              "content": {mimetype: {}}}, **_errors(400, 401, 403, 404, 422)},
    }}


def _item_action(summary: str) -> dict:
    return {"post": {"summary": summary, "parameters": [_ITEM_ID],
                     "responses": {**_ok("the item", _ref("Item")), **_errors(401, 403, 404)}}}


_ANALYTICS_FILTERS = [
    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
     "description": "first day, in the venue's timezone (default: six days before to)"},
    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
     "description": "last day, included (default: today)"},
    {"name": "item_id", "in": "query", "schema": {"type": "integer"}},
    {"name": "code", "in": "query", "schema": {"type": "string"}},
    {"name": "exhibition_id", "in": "query", "schema": {"type": "integer"},
     "description": "scans and views in this exhibition; beacons carry no exhibition, so "
                    "engagement figures are 0 with this filter (as with code)"},
    {"name": "language", "in": "query", "schema": {"type": "string", "enum": ["zh", "en"]}},
    {"name": "tz", "in": "query", "schema": {"type": "string", "default": "Asia/Shanghai"}},
]


def _rows(properties: dict) -> dict:
    return {"type": "object", "properties": {"rows": {"type": "array", "items": {
        "type": "object", "properties": properties}}}}


def _analytics(summary: str, schema: dict, *extra: dict) -> dict:
    return {"get": {"summary": summary, "parameters": [*_ANALYTICS_FILTERS, *extra],
                    "responses": {**_ok(summary, schema), **_errors(401, 403, 422)}}}


@cache
def build_document() -> dict:
    from motpub.web.api import openapi_exhibitions as exhibition_parts

    schemas = {
        "ItemInput": ItemInput.model_json_schema(ref_template="#/components/schemas/{model}"),
        "ItemPatch": ItemPatch.model_json_schema(ref_template="#/components/schemas/{model}"),
    }
    for schema in list(schemas.values()):
        schemas.update(schema.pop("$defs", {}))
    schemas["Item"] = _ITEM
    schemas["UploadRequest"] = {
        "type": "object", "required": ["filename", "size_bytes", "content_type"],
        "properties": {"language": {"type": ["string", "null"], "enum": ["zh", "en", None]},
                       "filename": {"type": "string"}, "size_bytes": {"type": "integer"},
                       "content_type": {"type": "string"}}}
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
            "error": {"type": ["object", "null"], "properties": {
                "en": {"type": "string"}, "zh": {"type": "string"}}},
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
                    "parameters": [
                        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                        {"name": "offset", "in": "query", "schema": {"type": "integer"}}],
                    "responses": {**_ok("items", {"type": "object", "properties": {
                        "items": {"type": "array", "items": _ref("Item")},
                        "total": {"type": "integer"}}}), **_errors(401, 403)}},
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
        "/items/{item_id}/videos": {
            "get": {"summary": "The item's videos and audio guides", "parameters": [_ITEM_ID],
                    "responses": {**_ok("videos", {"type": "object", "properties": {
                        "videos": {"type": "array", "items": _ref("Video")}}}),
                        **_errors(401, 403, 404)}},
            "post": {"summary": "Start a resumable upload of a video or audio guide",
                     "parameters": [_ITEM_ID],
                     "requestBody": {"required": True, **_json(_ref("UploadRequest"))},
                     "responses": {**_ok("the upload plan", _ref("Upload"), "201"),
                                   **_errors(400, 401, 403, 404, 422)}},
        },
        "/videos/{video_id}": {
            "get": {"summary": "A video's status and renditions", "parameters": [_VIDEO_ID],
                    "responses": {**_ok("the video", _ref("Video")), **_errors(401, 403, 404)}},
            "delete": {"summary": "Delete a video and its files", "parameters": [_VIDEO_ID],
                       "responses": {"204": {"description": "deleted"},
                                     **_errors(401, 403, 404)}},
        },
        "/videos/{video_id}/parts": {
            "get": {"summary": "Parts received so far, to resume an upload",
                    "parameters": [_VIDEO_ID],
                    "responses": {**_ok("parts", {"type": "object", "properties": {
                        "parts": {"type": "array", "items": {"type": "object", "properties": {
                            "number": {"type": "integer"}, "etag": {"type": "string"},
                            "size_bytes": {"type": "integer"}}}}}}),
                        **_errors(401, 403, 404)}},
        },
        "/videos/{video_id}/parts/{number}": {
            "put": {"summary": "Upload one part (file storage); authorised by the signed URL",
                    "security": [],
                    "parameters": [_VIDEO_ID,
                                   {"name": "number", "in": "path", "required": True,
                                    "schema": {"type": "integer"}},
                                   {"name": "expires", "in": "query", "required": True,
                                    "schema": {"type": "integer"}},
                                   {"name": "signature", "in": "query", "required": True,
                                    "schema": {"type": "string"}}],
                    "requestBody": {"required": True, "content": {
                        "application/octet-stream": {}}},
                    "responses": {"200": {"description": "stored; the ETag header names it"},
                                  **_errors(401, 404, 413, 422)}},
        },
        "/videos/{video_id}/complete": {
            "post": {"summary": "Assemble the parts and queue the transcode",
                     "parameters": [_VIDEO_ID],
                     "requestBody": {"required": True, **_json({
                         "type": "object", "required": ["parts"], "properties": {
                             "parts": {"type": "array", "items": {
                                 "type": "object", "required": ["number", "etag"],
                                 "properties": {"number": {"type": "integer"},
                                                "etag": {"type": "string"}}}}}})},
                     "responses": {**_ok("queued", _ref("Video"), "202"),
                                   **_errors(400, 401, 403, 404, 409, 422)}},
        },
        "/videos/{video_id}/retry": {
            "post": {"summary": "Transcode again", "parameters": [_VIDEO_ID],
                     "responses": {**_ok("queued", _ref("Video"), "202"),
                                   **_errors(401, 403, 404, 409)}},
        },
        "/videos/{video_id}/replace": {
            "post": {"summary": "Upload a new file; the current one plays until it is ready",
                     "parameters": [_VIDEO_ID],
                     "requestBody": {"required": True, **_json(_ref("UploadRequest"))},
                     "responses": {**_ok("the upload plan", _ref("Upload"), "201"),
                                   **_errors(400, 401, 403, 404, 409, 422)}},
        },
        "/videos/{video_id}/upload": {
            "delete": {"summary": "Cancel the upload in progress; a replaced video goes back "
                                  "to its current file",
                       "parameters": [_VIDEO_ID],
                       "responses": {**_ok("the video as it is now", _ref("Video")),
                                     **_errors(401, 403, 404, 409)}},
        },
        "/videos/{video_id}/captions": {
            "post": {"summary": "Add or replace captions (SRT or WebVTT) in one language",
                     "parameters": [_VIDEO_ID],
                     "requestBody": {"required": True, "content": {"multipart/form-data": {
                         "schema": {"type": "object", "required": ["language", "file"],
                                    "properties": {
                                        "language": {"type": "string", "enum": ["zh", "en"]},
                                        "file": {"type": "string", "format": "binary"}}}}}},
                     "responses": {**_ok("the caption", {"type": "object", "properties": {
                         "language": {"type": "string"}, "url": {"type": "string"}}}, "201"),
                         **_errors(400, 401, 403, 404, 409, 413, 422)}},
        },
        "/videos/{video_id}/captions/{language}": {
            "delete": {"summary": "Remove the captions in one language",
                       "parameters": [_VIDEO_ID, {"name": "language", "in": "path",
                                                  "required": True,
                                                  "schema": {"type": "string"}}],
                       "responses": {"204": {"description": "deleted"},
                                     **_errors(401, 403, 404)}},
        },
        "/analytics/summary": _analytics("Scans, visitors, bots, views, plays, completions, "
                                         "against the previous period", {
            "type": "object",
            "required": ["scans", "visitors", "bot_scans", "views", "plays", "completions"],
            "properties": {name: {"type": ["number", "null"]} for name in (
                "scans", "visitors", "bot_scans", "views", "plays", "halfway", "completions",
                "play_rate", "completion_rate", "median_watch_s", "bot_share")}}),
        "/analytics/timeseries": _analytics("Scans and visitors per hour, day or week", _rows({
            "t": {"type": "string"}, "scans": {"type": "integer"},
            "visitors": {"type": "integer"}}), {
            "name": "interval", "in": "query",
            "schema": {"type": "string", "enum": ["hour", "day", "week"], "default": "day"}}),
        "/analytics/breakdown": _analytics("Scans and visitors per key", _rows({
            "key": {}, "label": {}, "scans": {"type": "integer"},
            "visitors": {"type": "integer"}}), {
            "name": "by", "in": "query", "schema": {"type": "string", "enum": [
                "item", "code", "language", "device", "os", "browser", "in_app", "country",
                "hour", "weekday_hour"], "default": "item"},
            "description": "hour: venue hour 0-23; weekday_hour: \"1-09\" is Monday 09:00, "
                           "\"7-23\" Sunday 23:00; code: per placement, labelled"}),
        "/analytics/export.csv": {"get": {
            "summary": "Any analytics view as CSV",
            "parameters": [*_ANALYTICS_FILTERS, {
                "name": "view", "in": "query", "schema": {
                    "type": "string", "enum": ["summary", "timeseries", "breakdown"]}}],
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {}}},
                          **_errors(401, 403, 422)}}},
        "/openapi.json": {"get": {"summary": "This document", "security": [],
                                  "responses": _ok("OpenAPI 3 document", {"type": "object"})}},
    }
    paths.update(exhibition_parts.paths())
    paths.update(openapi_gs1.paths())
    return {
        "openapi": "3.1.0",
        "info": {"title": "motpub API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {"description": "an error", **_json(_ref("Error"))}},
        },
    }


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(build_document())
