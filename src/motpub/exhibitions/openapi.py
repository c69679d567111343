"""The OpenAPI part for exhibitions, label sheets, print options and bulk work."""

from __future__ import annotations

from motpub.printing.labels import TEMPLATES
from motpub.codes.services.bulk import (
    CodeBatchInput, columns, MAX_CODES_PER_BATCH, MAX_ROWS)
from motpub.exhibitions.services.exhibitions import (
    ExhibitionInput, ExhibitionItemsInput, ExhibitionPatch)
from motpub.codes.services.print_options import MAX_MODULE_MM, MIN_CONTRAST, MIN_MODULE_MM
from motpub.openapi import _errors, _json, _ok, _ref
from motpub.web.openapi_languages import BY_LANGUAGE

_EXHIBITION_ID = {"name": "exhibition_id", "in": "path", "required": True,
                  "schema": {"type": "integer"}}
_LOCALIZED = BY_LANGUAGE

_JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_LABEL_JOB = {
    "type": "object",
    "required": ["id", "exhibition_id", "template", "status", "progress", "label_count",
                 "error", "status_url", "pdf_url"],
    "properties": {
        "id": {"type": "integer"}, "exhibition_id": {"type": "integer"},
        "template": {"type": "string", "enum": list(TEMPLATES)},
        "status": {"type": "string", "enum": ["queued", "running", "succeeded", "failed"]},
        "progress": {"type": "number", "minimum": 0, "maximum": 1},
        "label_count": {"type": "integer"},
        "error": {"type": ["string", "null"]},
        "status_url": {"type": "string"},
        "pdf_url": {"type": ["string", "null"], "description": "set once the job succeeded"},
        "created_at": {"type": "string", "format": "date-time"},
        "finished_at": {"type": ["string", "null"], "format": "date-time"},
    },
}

PRINT_OPTIONS = [
    {"name": "module_mm", "in": "query", "description": "module size in mm (PDF, SVG; PNG "
     "at 300 dpi)", "schema": {"type": "number", "minimum": MIN_MODULE_MM,
                               "maximum": MAX_MODULE_MM}},
    {"name": "fg", "in": "query", "description": "dark colour, #rrggbb",
     "schema": {"type": "string", "pattern": "^#?[0-9a-fA-F]{6}$", "default": "#000000"}},
    {"name": "bg", "in": "query", "description": f"light colour, #rrggbb; fg must be darker "
     f"with a contrast of at least {MIN_CONTRAST}:1, else 422 unreadable_colours",
     "schema": {"type": "string", "pattern": "^#?[0-9a-fA-F]{6}$", "default": "#ffffff"}},
    {"name": "logo", "in": "query", "description": "1: the motpub mark in the centre "
     "(forces error correction H)", "schema": {"type": "string", "enum": ["0", "1"]}},
]

_EXHIBITION = {
    "type": "object",
    "required": ["id", "slug", "title", "item_ids", "codes", "page_url"],
    "properties": {
        "id": {"type": "integer"}, "slug": {"type": "string"}, "title": _LOCALIZED,
        "intro": _LOCALIZED, "venue": {"type": "string"}, "timezone": {"type": "string"},
        "starts_on": {"type": ["string", "null"], "format": "date"},
        "ends_on": {"type": ["string", "null"], "format": "date"},
        "item_ids": {"type": "array", "items": {"type": "integer"}},
        "codes": {"type": "array", "items": _ref("Code")},
        "page_url": {"type": "string", "format": "uri"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}


def schemas() -> dict:
    found = {name: model.model_json_schema(ref_template="#/components/schemas/{model}")
             for name, model in (("ExhibitionInput", ExhibitionInput),
                                 ("ExhibitionPatch", ExhibitionPatch),
                                 ("ExhibitionItemsInput", ExhibitionItemsInput),
                                 ("CodeBatchInput", CodeBatchInput))}
    for schema in list(found.values()):
        found.update(schema.pop("$defs", {}))
    found["Exhibition"] = _EXHIBITION
    found["LabelJob"] = _LABEL_JOB
    return found


def paths() -> dict:
    one = {"parameters": [_EXHIBITION_ID]}
    return {
        "/exhibitions": {
            "get": {"summary": "List exhibitions, newest first",
                    "responses": {**_ok("exhibitions", {"type": "object", "properties": {
                        "exhibitions": {"type": "array", "items": _ref("Exhibition")}}}),
                        **_errors(401, 403)}},
            "post": {"summary": "Create an exhibition",
                     "requestBody": {"required": True, **_json(_ref("ExhibitionInput"))},
                     "responses": {**_ok("the new exhibition", _ref("Exhibition"), "201"),
                                   **_errors(400, 401, 403, 409, 413, 422)}},
        },
        "/exhibitions/{exhibition_id}": {
            "get": {"summary": "One exhibition", **one,
                    "responses": {**_ok("the exhibition", _ref("Exhibition")),
                                  **_errors(401, 403, 404)}},
            "patch": {"summary": "Change an exhibition; absent fields stay", **one,
                      "requestBody": {"required": True, **_json(_ref("ExhibitionPatch"))},
                      "responses": {**_ok("the exhibition", _ref("Exhibition")),
                                    **_errors(400, 401, 403, 404, 409, 422)}},
            "delete": {"summary": "Delete an exhibition and its entrance codes; items stay",
                       **one, "responses": {"204": {"description": "deleted"},
                                            **_errors(401, 403, 404)}},
        },
        "/exhibitions/{exhibition_id}/items": {
            "put": {"summary": "Set the exhibition's items, in order", **one,
                    "requestBody": {"required": True, **_json(_ref("ExhibitionItemsInput"))},
                    "responses": {**_ok("the exhibition", _ref("Exhibition")),
                                  **_errors(400, 401, 403, 404, 422)}},
        },
        "/exhibitions/{exhibition_id}/codes": {
            "post": {"summary": "Issue an entrance code: a scan opens the exhibition's page",
                     **one, "requestBody": {"required": False, **_json({
                         "type": "object", "properties": {"label": {"type": "string",
                                                                    "maxLength": 200}}})},
                     "responses": {**_ok("the new code", _ref("Code"), "201"),
                                   **_errors(400, 401, 403, 404, 422)}},
        },
        "/exhibitions/{exhibition_id}/labels.pdf": {
            "get": {"summary": "Vector PDF label sheets: the entrance codes, then every "
                               "enabled code of the items in order",
                    "parameters": [_EXHIBITION_ID, {
                        "name": "template", "in": "query", "schema": {
                            "type": "string", "enum": list(TEMPLATES), "default": "a4-8"}}],
                    "description": "Sheets of up to MOTPUB_MAX_DIRECT_LABELS labels (200 by "
                                   "default) are answered at once; larger ones are built by "
                                   "a worker: 202 with the label job (Location: its status "
                                   "URL), whose pdf_url serves the sheet once it succeeded.",
                    "responses": {"200": {"description": "the sheets",
                                          "content": {"application/pdf": {}}},
                                  **_ok("a label job building the sheets", _ref("LabelJob"),
                                        "202"),
                                  **_errors(401, 403, 404, 422, 503)}},
        },
        "/label-jobs/{job_id}": {
            "get": {"summary": "A label job's status and progress", "parameters": [_JOB_ID],
                    "responses": {**_ok("the label job", _ref("LabelJob")),
                                  **_errors(401, 403, 404)}},
        },
        "/label-jobs/{job_id}/labels.pdf": {
            "get": {"summary": "The sheets a label job built; 409 until it succeeded",
                    "parameters": [_JOB_ID],
                    "responses": {"200": {"description": "the sheets",
                                          "content": {"application/pdf": {}}},
                                  **_errors(401, 403, 404, 409)}},
        },
        "/items/import": {
            "post": {"summary": "Create or update (by slug) items from CSV; all rows or none",
                     "description": "Columns: " + ", ".join(columns()) + f"; at most "
                                    f"{MAX_ROWS} rows, in UTF-8. A leading ' before =, +, "
                                    "-, @, tab or CR (as the export writes) is taken off.",
                     "requestBody": {"required": True, "content": {
                         "text/csv": {}, "multipart/form-data": {"schema": {
                             "type": "object", "properties": {
                                 "file": {"type": "string", "format": "binary"}}}}}},
                     "responses": {**_ok("ids of the items created and updated", {
                         "type": "object", "properties": {
                             "created": {"type": "array", "items": {"type": "integer"}},
                             "updated": {"type": "array", "items": {"type": "integer"}}}}),
                         **_errors(400, 401, 403, 413, 422)}},
        },
        "/items/export.csv": {
            "get": {"summary": "Every item as CSV, in the import's columns",
                    "responses": {"200": {"description": "CSV (UTF-8 with BOM)",
                                          "content": {"text/csv": {}}},
                                  **_errors(401, 403)}},
        },
        "/codes/batch": {
            "post": {"summary": "Issue `count` codes for each item; unknown ids change nothing",
                     "description": f"At most {MAX_CODES_PER_BATCH} codes per request "
                                    "(item_ids × count), else 422 and nothing is created.",
                     "requestBody": {"required": True, **_json(_ref("CodeBatchInput"))},
                     "responses": {**_ok("the new codes", {"type": "object", "properties": {
                         "codes": {"type": "array", "items": _ref("Code")}}}, "201"),
                         **_errors(400, 401, 403, 422)}},
        },
    }
