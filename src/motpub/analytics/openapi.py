"""The OpenAPI part for analytics: summary, time series, breakdowns and CSV export."""

from __future__ import annotations

from motpub.openapi import _errors, _ok
from motpub.web.openapi_languages import LANGUAGE

_ANALYTICS_FILTERS = [
    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
     "description": "first day, in the venue's timezone (default: six days before to)"},
    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
     "description": "last day, included (default: today)"},
    {"name": "item_id", "in": "query", "schema": {"type": "integer"}},
    {"name": "code", "in": "query", "schema": {"type": "string"},
     "description": "scans of this code, and plays of pages opened through it"},
    {"name": "exhibition_id", "in": "query", "schema": {"type": "integer"},
     "description": "scans, and plays of pages opened through a code, in this exhibition"},
    {"name": "language", "in": "query", "schema": LANGUAGE},
    {"name": "tz", "in": "query", "schema": {"type": "string", "default": "Asia/Shanghai"}},
]


# The promise tests/e2e/test_analytics_freshness.py keeps, with two web processes.
FRESHNESS = ("Figures are exact and at most a second behind: every scan, view and engagement "
             "beacon answered before this request started is counted when the request comes "
             "at least one second after it. Each web process writes the visits it served "
             "about 50 ms later (a group write); a read first writes those of the process "
             "that answers it, so only another process's last moment can be missing.")


def _rows(properties: dict) -> dict:
    return {"type": "object", "properties": {"rows": {"type": "array", "items": {
        "type": "object", "properties": properties}}}}


def _analytics(summary: str, schema: dict, *extra: dict) -> dict:
    return {"get": {"summary": summary, "description": FRESHNESS,
                    "parameters": [*_ANALYTICS_FILTERS, *extra],
                    "responses": {**_ok(summary, schema), **_errors(401, 403, 422)}}}


def paths() -> dict:
    return {
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
            "key": {"type": ["string", "integer"],
                    "description": "the value broken down by: an item id, a printed code, "
                                   "a language, a venue hour, ..."},
            "label": {"type": ["string", "integer"]}, "scans": {"type": "integer"},
            "visitors": {"type": "integer"}}), {
            "name": "by", "in": "query", "schema": {"type": "string", "enum": [
                "item", "code", "language", "device", "os", "browser", "in_app", "country",
                "hour", "weekday_hour"], "default": "item"},
            "description": "hour: venue hour 0-23; weekday_hour: \"1-09\" is Monday 09:00, "
                           "\"7-23\" Sunday 23:00; code: per placement, keyed by the printed "
                           "code (as /codes/{code} takes it), labelled with the code's "
                           "placement label (may be empty); item: keyed by item id, "
                           "labelled with its title"}),
        "/analytics/export.csv": {"get": {
            "summary": "Any analytics view as CSV", "description": FRESHNESS,
            "parameters": [*_ANALYTICS_FILTERS, {
                "name": "view", "in": "query", "schema": {
                    "type": "string", "enum": ["summary", "timeseries", "breakdown"]}}],
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {}}},
                          **_errors(401, 403, 422)}}},
    }
