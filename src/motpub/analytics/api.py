from __future__ import annotations

import csv
import io

from flask import Response, jsonify, request

from motpub.analytics.services import reports as analytics
from motpub.spreadsheet import neutralize_cell
from motpub.accounts.access import can_read_analytics, requires
from motpub.web.audiences import api_blueprint
from motpub.inputs import parse_query
from motpub.web.context import db, runtime

bp = api_blueprint("analytics_api", __name__)


def _filters(query: analytics.AnalyticsQuery) -> analytics.Filters:
    # Scans still buffered in this process are written first, so figures are current.
    runtime().scan_recorder.flush()
    return analytics.parse_filters(query)


@bp.get("/analytics/summary")
@requires(can_read_analytics)
def analytics_summary():
    query = parse_query(analytics.AnalyticsQuery, request.args)
    return jsonify(analytics.summary(db(), _filters(query)))


@bp.get("/analytics/timeseries")
@requires(can_read_analytics)
def analytics_timeseries():
    query = parse_query(analytics.TimeseriesQuery, request.args)
    rows = analytics.timeseries(db(), _filters(query), query.interval)
    return jsonify({"rows": rows})


@bp.get("/analytics/breakdown")
@requires(can_read_analytics)
def analytics_breakdown():
    query = parse_query(analytics.BreakdownQuery, request.args)
    rows = analytics.breakdown(db(), _filters(query), query.by)
    return jsonify({"rows": rows})


@bp.get("/analytics/languages")
@requires(can_read_analytics)
def analytics_languages():
    """Pages served per language asked for and language served: where fallbacks happen."""
    query = parse_query(analytics.AnalyticsQuery, request.args)
    return jsonify({"rows": analytics.languages(db(), _filters(query))})


@bp.get("/analytics/export.csv")
@requires(can_read_analytics)
def analytics_export():
    """Any view as CSV: ?view=summary (default), timeseries (&interval), breakdown (&by)
    or languages."""
    query = parse_query(analytics.ExportQuery, request.args)
    filters, view = _filters(query), query.view
    if view == "summary":
        figures = analytics.summary(db(), filters)
        figures.pop("previous")
        rows = [{"metric": key, "value": value} for key, value in figures.items()]
    elif view == "timeseries":
        rows = analytics.timeseries(db(), filters, query.interval)
    elif view == "languages":
        rows = analytics.languages(db(), filters)
    else:
        rows = analytics.breakdown(db(), filters, query.by)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["empty"])
    writer.writeheader()
    writer.writerows({key: neutralize_cell(value) for key, value in row.items()} for row in rows)
    response = Response("\ufeff" + buffer.getvalue(), mimetype="text/csv")  # BOM for Excel
    response.headers["Content-Disposition"] = f'attachment; filename="motpub-{view}.csv"'
    return response
