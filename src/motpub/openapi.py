"""The OpenAPI 3 document. Request and response schemas and query parameters come from the
models requests are validated with and answers are built from (`openapi_common`), and a test
checks that every route of this blueprint is described here and nothing more."""

from __future__ import annotations

from functools import cache

from flask import jsonify

from motpub.codes.services.codes import CodeLabelInput, CodePatch
from motpub.items.services.items import ItemInput, ItemPage, ItemPatch
from motpub.codes.services.print_options import QrQuery
from motpub.analytics import openapi as openapi_analytics
from motpub.exhibitions import openapi as openapi_exhibitions
from motpub.coverage import openapi as openapi_coverage
from motpub.codes import openapi as openapi_gs1
from motpub.media import openapi as openapi_media
from motpub.codes import representations as codes_out
from motpub.items import representations as out
from motpub.web.openapi_bounds import bound_integers
from motpub.web.openapi_common import (
    body, errors, json_content, ok, path_parameter, query_parameters, ref, schemas_of)
from motpub.web.audiences import api_blueprint
from motpub.web.context import settings
from motpub.web.openapi_languages import fill_languages

bp = api_blueprint("openapi_api", __name__)

ITEM_ID = path_parameter("item_id")
_CODE = path_parameter("code", {"type": "string"})

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"],
                             "properties": {"code": {"type": "string"},
                                            "message": {"type": "string"},
                                            "field": {"type": "string"}}}},
}


def _qr_path(mimetype: str) -> dict:
    return {"get": {
        "summary": f"The code's QR as {mimetype}",
        "parameters": [_CODE, *query_parameters(QrQuery)],
        "responses": {"200": {"description": "the QR code",
                              "content": {mimetype: {}}}, **errors(400, 401, 403, 404, 422)},
    }}


def _item_action(summary: str) -> dict:
    return {"post": {"summary": summary, "parameters": [ITEM_ID],
                     "responses": {**ok("the item", ref("Item")), **errors(401, 403, 404)}}}


def _item_paths() -> dict:
    return {
        "/items": {
            "get": {"summary": "List items, newest first",
                    "parameters": query_parameters(ItemPage),
                    "responses": {**ok("items", ref("ItemList")), **errors(401, 403, 422)}},
            "post": {"summary": "Create a draft item", "requestBody": body(ItemInput),
                     "responses": {**ok("the new item", ref("Item"), "201"),
                                   **errors(400, 401, 403, 409, 413, 422)}},
        },
        "/items/{item_id}": {
            "get": {"summary": "One item", "parameters": [ITEM_ID],
                    "responses": {**ok("the item", ref("Item")), **errors(401, 403, 404)}},
            "patch": {"summary": "Change an item; absent fields stay",
                      "parameters": [ITEM_ID], "requestBody": body(ItemPatch),
                      "responses": {**ok("the item", ref("Item")),
                                    **errors(400, 401, 403, 404, 409, 413, 422)}},
        },
        "/items/{item_id}/publish": _item_action("Publish an item"),
        "/items/{item_id}/unpublish": _item_action("Take an item back to draft"),
        "/items/{item_id}/codes": {
            "get": {"summary": "The item's codes", "parameters": [ITEM_ID],
                    "responses": {**ok("codes", ref("CodeList")), **errors(401, 403, 404)}},
            "post": {"summary": "Issue a new code for the item", "parameters": [ITEM_ID],
                     "requestBody": body(CodeLabelInput, required=False),
                     "responses": {**ok("the new code", ref("Code"), "201"),
                                   **errors(400, 401, 403, 404, 422)}},
        },
        "/items/{item_id}/stats": {
            "get": {"summary": "Scans of the item that were served a page",
                    "parameters": [ITEM_ID],
                    "responses": {**ok("stats", ref("ItemStats")), **errors(401, 403, 404)}},
        },
    }


def _code_paths() -> dict:
    return {
        "/codes/{code}": {
            "get": {"summary": "A printed code: its placement and the history of its changes",
                    "parameters": [_CODE],
                    "responses": {**ok("the code", ref("Placement")),
                                  **errors(401, 403, 404)}},
            "patch": {"summary": "Relabel, disable or retarget a code without reprinting it",
                      "parameters": [_CODE], "requestBody": body(CodePatch),
                      "responses": {**ok("the code", ref("Placement")),
                                    **errors(400, 401, 403, 404, 422)}},
        },
        "/codes/{code}/qr.svg": _qr_path("image/svg+xml"),
        "/codes/{code}/qr.png": _qr_path("image/png"),
        "/codes/{code}/qr.pdf": _qr_path("application/pdf"),
    }


@cache
def build_document() -> dict:
    schemas = schemas_of(ItemInput, ItemPatch, CodePatch, CodeLabelInput,
                         out.Item, out.ItemList, out.ItemStats, codes_out.Code, codes_out.CodeList,
                         codes_out.Placement)
    schemas.update(openapi_media.schemas())
    schemas.update(openapi_exhibitions.schemas())
    schemas.update(openapi_coverage.schemas())
    schemas["Error"] = _ERROR
    paths = {
        **_item_paths(),
        **_code_paths(),
        **openapi_media.paths(),
        **openapi_analytics.paths(),
        "/openapi.json": {"get": {"summary": "This document", "security": [],
                                  "responses": ok("OpenAPI 3 document", {"type": "object"})}},
        **openapi_exhibitions.paths(),
        **openapi_coverage.paths(),
    }
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
            "responses": {"Error": {"description": "an error", **json_content(ref("Error"))}},
        },
    })


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
    return {**document, "components": {**document["components"], "schemas": schemas}}


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(fill_languages(_with_settings(build_document())))
