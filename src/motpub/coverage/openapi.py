"""The OpenAPI part for coverage and translation status."""

from __future__ import annotations

from motpub.coverage import representations as out
from motpub.coverage.services.coverage import CoverageQuery
from motpub.coverage.services.translations import ConfirmInput
from motpub.web.openapi_common import (
    body, errors, ok, path_parameter, query_parameters, ref, schemas_of)


def schemas() -> dict:
    return schemas_of(ConfirmInput, out.Coverage)


def paths() -> dict:
    confirm = ("Confirm that a translation still says what its source text says: it is "
               "current again; no text changes")
    return {
        "/coverage": {
            "get": {"summary": "What is missing or stale per item and exhibition, per language",
                    "parameters": query_parameters(CoverageQuery),
                    "responses": {**ok("coverage", ref("Coverage")),
                                  **errors(401, 403, 422)}},
        },
        "/items/{item_id}/translations/confirm": {
            "post": {"summary": confirm, "parameters": [path_parameter("item_id")],
                     "requestBody": body(ConfirmInput),
                     "responses": {**ok("the item", ref("Item")),
                                   **errors(400, 401, 403, 404, 422)}},
        },
        "/exhibitions/{exhibition_id}/translations/confirm": {
            "post": {"summary": confirm, "parameters": [path_parameter("exhibition_id")],
                     "requestBody": body(ConfirmInput),
                     "responses": {**ok("the exhibition", ref("Exhibition")),
                                   **errors(400, 401, 403, 404, 422)}},
        },
    }
