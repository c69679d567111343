from __future__ import annotations

import csv
import io

from flask import Response, jsonify, request

from motpub.analytics.services import reports as analytics
from motpub.errors import Invalid
from motpub.spreadsheet import neutralize_cell
from motpub.accounts.access import can_read_analytics, requires
from motpub.web.audiences import api_blueprint
from motpub.web.context import db, runtime

bp = api_blueprint("analytics_api", __name__)


def _filters() -> analytics.Filters:
    # Scans still buffered in this process are written first, so figures are current.
    runtime().scan_recorder.flush()
    return analytics.parse_filters(request.args)


@bp.get("/analytics/summary")
@requires(can_read_analytics)
def analytics_summary():
    return jsonify(analytics.summary(db(), _filters()))


@bp.get("/analytics/timeseries")
@requires(can_read_analytics)
def analytics_timeseries():
    rows = analytics.timeseries(db(), _filters(), request.args.get("interval", "day"))
    return jsonify({"rows": rows})


@bp.get("/analytics/breakdown")
@requires(can_read_analytics)
def analytics_breakdown():
    rows = analytics.breakdown(db(), _filters(), request.args.get("by", "item"))
    return jsonify({"rows": rows})


@bp.get("/analytics/export.csv")
@requires(can_read_analytics)
def analytics_export():
    """Any view as CSV: ?view=summary (default), timeseries (&interval) or breakdown (&by)."""
    filters, view = _filters(), request.args.get("view", "summary")
    if view == "summary":
        figures = analytics.summary(db(), filters)
        figures.pop("previous")
        rows = [{"metric": key, "value": value} for key, value in figures.items()]
    elif view == "timeseries":
        rows = analytics.timeseries(db(), filters, request.args.get("interval", "day"))
    elif view == "breakdown":
        rows = analytics.breakdown(db(), filters, request.args.get("by", "item"))
    else:
        raise Invalid("view must be summary, timeseries or breakdown", field="view")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["empty"])
    writer.writeheader()
    writer.writerows({key: neutralize_cell(value) for key, value in row.items()} for row in rows)
    response = Response("\ufeff" + buffer.getvalue(), mimetype="text/csv")  # BOM for Excel
    response.headers["Content-Disposition"] = f'attachment; filename="motpub-{view}.csv"'
    return response
