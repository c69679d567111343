"""The OpenAPI part for exhibitions, label sheets, print options and bulk work."""

from __future__ import annotations

from motpub.codes.services.bulk import MAX_CODES_PER_BATCH, MAX_ROWS, CodeBatchInput, columns
from motpub.codes.services.codes import CodeLabelInput
from motpub.exhibitions.services.exhibitions import (
    ExhibitionInput, ExhibitionItemsInput, ExhibitionPatch)
from motpub.codes.services.labels import LabelSheetQuery
from motpub.codes import representations as codes_out
from motpub.exhibitions import representations as out
from motpub.web.openapi_common import (
    body, errors, ok, path_parameter, query_parameters, ref, schemas_of)

_EXHIBITION_ID = path_parameter("exhibition_id")
_JOB_ID = path_parameter("job_id")


def schemas() -> dict:
    return schemas_of(ExhibitionInput, ExhibitionPatch, ExhibitionItemsInput, CodeBatchInput,
                      out.Exhibition, out.ExhibitionList, codes_out.LabelJob)


def paths() -> dict:
    one = {"parameters": [_EXHIBITION_ID]}
    return {
        "/exhibitions": {
            "get": {"summary": "List exhibitions, newest first",
                    "responses": {**ok("exhibitions", ref("ExhibitionList")),
                                  **errors(401, 403)}},
            "post": {"summary": "Create an exhibition",
                     "requestBody": body(ExhibitionInput),
                     "responses": {**ok("the new exhibition", ref("Exhibition"), "201"),
                                   **errors(400, 401, 403, 409, 413, 422)}},
        },
        "/exhibitions/{exhibition_id}": {
            "get": {"summary": "One exhibition", **one,
                    "responses": {**ok("the exhibition", ref("Exhibition")),
                                  **errors(401, 403, 404)}},
            "patch": {"summary": "Change an exhibition; absent fields stay", **one,
                      "requestBody": body(ExhibitionPatch),
                      "responses": {**ok("the exhibition", ref("Exhibition")),
                                    **errors(400, 401, 403, 404, 409, 422)}},
            "delete": {"summary": "Delete an exhibition and its entrance codes; items stay",
                       **one, "responses": {"204": {"description": "deleted"},
                                            **errors(401, 403, 404)}},
        },
        "/exhibitions/{exhibition_id}/items": {
            "put": {"summary": "Set the exhibition's items, in order", **one,
                    "requestBody": body(ExhibitionItemsInput),
                    "responses": {**ok("the exhibition", ref("Exhibition")),
                                  **errors(400, 401, 403, 404, 422)}},
        },
        "/exhibitions/{exhibition_id}/codes": {
            "post": {"summary": "Issue an entrance code: a scan opens the exhibition's page",
                     **one, "requestBody": body(CodeLabelInput, required=False),
                     "responses": {**ok("the new code", ref("Code"), "201"),
                                   **errors(400, 401, 403, 404, 422)}},
        },
        "/exhibitions/{exhibition_id}/labels.pdf": {
            "get": {"summary": "Vector PDF label sheets: the entrance codes, then every "
                               "enabled code of the items in order",
                    "parameters": [_EXHIBITION_ID, *query_parameters(LabelSheetQuery)],
                    "description": "Sheets of up to MOTPUB_MAX_DIRECT_LABELS labels (200 by "
                                   "default) are answered at once; larger ones are built by "
                                   "a worker: 202 with the label job (Location: its status "
                                   "URL), whose pdf_url serves the sheet once it succeeded.",
                    "responses": {"200": {"description": "the sheets",
                                          "content": {"application/pdf": {}}},
                                  **ok("a label job building the sheets", ref("LabelJob"),
                                        "202"),
                                  **errors(401, 403, 404, 422, 503)}},
        },
        "/label-jobs/{job_id}": {
            "get": {"summary": "A label job's status and progress", "parameters": [_JOB_ID],
                    "responses": {**ok("the label job", ref("LabelJob")),
                                  **errors(401, 403, 404)}},
        },
        "/label-jobs/{job_id}/labels.pdf": {
            "get": {"summary": "The sheets a label job built; 409 until it succeeded",
                    "parameters": [_JOB_ID],
                    "responses": {"200": {"description": "the sheets",
                                          "content": {"application/pdf": {}}},
                                  **errors(401, 403, 404, 409)}},
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
                     "responses": {**ok("ids of the items created and updated", {
                         "type": "object", "properties": {
                             "created": {"type": "array", "items": {"type": "integer"}},
                             "updated": {"type": "array", "items": {"type": "integer"}}}}),
                         **errors(400, 401, 403, 413, 422)}},
        },
        "/items/export.csv": {
            "get": {"summary": "Every item as CSV, in the import's columns",
                    "responses": {"200": {"description": "CSV (UTF-8 with BOM)",
                                          "content": {"text/csv": {}}},
                                  **errors(401, 403)}},
        },
        "/codes/batch": {
            "post": {"summary": "Issue `count` codes for each item; unknown ids change nothing",
                     "description": f"At most {MAX_CODES_PER_BATCH} codes per request "
                                    "(item_ids × count), else 422 and nothing is created.",
                     "requestBody": body(CodeBatchInput),
                     "responses": {**ok("the new codes", ref("CodeList"), "201"),
                         **errors(400, 401, 403, 422)}},
        },
    }
