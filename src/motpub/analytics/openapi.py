"""The OpenAPI part for analytics: summary, time series, breakdowns and CSV export."""

from __future__ import annotations

from pydantic import BaseModel

from motpub.analytics.services.reports import (
    AnalyticsQuery, BreakdownQuery, ExportQuery, TimeseriesQuery)
from motpub.web.openapi_common import errors, ok, query_parameters


# The promise tests/e2e/test_analytics_freshness.py keeps, with two web processes.
FRESHNESS = ("Figures are exact and at most a second behind: every scan, view and engagement "
             "beacon answered before this request started is counted when the request comes "
             "at least one second after it. Each web process writes the visits it served "
             "about 50 ms later (a group write); a read first writes those of the process "
             "that answers it, so only another process's last moment can be missing.")


def _rows(properties: dict) -> dict:
    return {"type": "object", "properties": {"rows": {"type": "array", "items": {
        "type": "object", "properties": properties}}}}


def _analytics(summary: str, schema: dict, query: type[BaseModel]) -> dict:
    return {"get": {"summary": summary, "description": FRESHNESS,
                    "parameters": query_parameters(query),
                    "responses": {**ok(summary, schema), **errors(401, 403, 422)}}}


def paths() -> dict:
    return {
        "/analytics/summary": _analytics("Scans, visitors, bots, views, plays, completions, "
                                         "against the previous period", {
            "type": "object",
            "required": ["scans", "visitors", "bot_scans", "views", "plays", "completions"],
            "properties": {name: {"type": ["number", "null"]} for name in (
                "scans", "visitors", "bot_scans", "views", "plays", "halfway", "completions",
                "play_rate", "completion_rate", "median_watch_s", "bot_share")}},
            AnalyticsQuery),
        "/analytics/timeseries": _analytics("Scans and visitors per hour, day or week", _rows({
            "t": {"type": "string"}, "scans": {"type": "integer"},
            "visitors": {"type": "integer"}}), TimeseriesQuery),
        "/analytics/breakdown": _analytics("Scans and visitors per key", _rows({
            "key": {"type": ["string", "integer"],
                    "description": "the value broken down by: an item id, a printed code, "
                                   "a language, a venue hour, ..."},
            "label": {"type": ["string", "integer"]}, "scans": {"type": "integer"},
            "visitors": {"type": "integer"}}), BreakdownQuery),
        "/analytics/languages": _analytics(
            "Pages served per language asked for and language served", _rows({
                "asked": {"type": ["string", "null"],
                          "description": "the BCP 47 tag the visitor asked for (?lang=, the "
                                         "language cookie, else the first tag of "
                                         "Accept-Language), configured or not; null when "
                                         "none was asked"},
                "served": {"type": "string", "description": "the content language served",
                           "x-content-languages": "enum"},
                "scans": {"type": "integer"}, "views": {"type": "integer"},
                "is_fallback": {"type": "boolean",
                                "description": "another language, or another script of it, "
                                               "than the one asked for was served"}}),
            AnalyticsQuery),
        "/analytics/export.csv": {"get": {
            "summary": "Any analytics view as CSV", "description": FRESHNESS,
            "parameters": query_parameters(ExportQuery),
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {}}},
                          **errors(401, 403, 422)}}},
    }
