"""The ops dashboard: scans and engagement over a period, for analysts and admins."""

from __future__ import annotations

import datetime as dt

from babel import UnknownLocaleError
from babel.dates import get_day_names
from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from motpub.analytics.services import reports as analytics
from motpub.items.services import items as item_service
from motpub.errors import Invalid
from motpub.analytics import charts
from motpub.i18n import content_languages, own_name
from motpub.web.context import db, runtime
from motpub.accounts.access import role_required

bp = Blueprint("analytics_ops", __name__, url_prefix="/ops")

analyst_required = role_required(lambda role: role.can_read_analytics)

TOP_ITEMS = 10
# (key in the summary, label, kind): counts and seconds compare as a relative change,
# rates as percentage points, since "+50 %" of a 2 % rate says little.
KPIS = (("scans", _l("Scans"), "count"), ("visitors", _l("Unique visitors"), "count"),
        ("play_rate", _l("Play rate"), "rate"), ("completion_rate", _l("Completion rate"), "rate"),
        ("median_watch_s", _l("Median watch time"), "seconds"),
        ("bot_share", _l("Bot share"), "rate"),
        ("orphan_scans", _l("Scans of disabled codes"), "count"))
SPLITS = (("language", _l("Language")), ("device", _l("Device")), ("os", _l("Operating system")),
          ("in_app", _l("In-app browser")))
KEY_LABELS = {"device": {"mobile": _l("Phone"), "tablet": _l("Tablet"),
                         "desktop": _l("Desktop"), "other": _l("Other")},
              "in_app": {"": _l("None (regular browser)"), "wechat": _l("WeChat")}}


def _interval(filters: analytics.Filters) -> str:
    length = filters.end - filters.start
    if length <= dt.timedelta(days=2):
        return "hour"
    return "day" if length <= dt.timedelta(days=90) else "week"


def _filters() -> tuple[analytics.Filters, str | None]:
    """The form's filters, or the defaults and the reason when they do not parse."""
    args = {key: value for key, value in request.args.items() if value}
    try:
        return analytics.parse_filters(args), None
    except Invalid as error:
        return analytics.parse_filters({}), error.message


def _query(filters: analytics.Filters) -> dict[str, object]:
    """The filters as query parameters, for the form, CSV links and drill-down links."""
    last = (filters.end - dt.timedelta(microseconds=1)).astimezone(filters.zone).date()
    query: dict[str, object] = {"from": filters.start.astimezone(filters.zone).date().isoformat(),
             "to": last.isoformat()}
    if filters.item_id is not None:
        query["item_id"] = filters.item_id
    if filters.language:
        query["language"] = filters.language
    if filters.exhibition_id is not None:
        query["exhibition_id"] = filters.exhibition_id
    if filters.code:
        query["code"] = filters.code
    return query


def _change(current, previous, kind: str) -> dict | None:
    if current is None or previous is None or (kind != "rate" and not previous):
        return None
    if kind == "rate":
        delta, text = current - previous, f"{abs(current - previous) * 100:.1f} pt"
    else:
        delta = (current - previous) / previous
        text = f"{abs(delta) * 100:.0f} %"
    return {"direction": "up" if delta > 0 else "down" if delta < 0 else "flat", "text": text}


def _format(value, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "rate":
        return f"{value * 100:.1f} %"
    return f"{value:g} s" if kind == "seconds" else f"{value:,}"


def kpis(summary: dict) -> list[dict]:
    previous = summary["previous"]
    return [{"key": key, "label": label, "value": _format(summary[key], kind),
             "previous": _format(previous[key], kind),
             "change": _change(summary[key], previous[key], kind)}
            for key, label, kind in KPIS]


def _tick(moment: str, interval: str) -> str:
    return moment[11:16] if interval == "hour" else moment[5:10]


def _labelled(by: str, rows: list[dict]) -> list[dict]:
    names = ({lang: own_name(lang) for lang in content_languages()} if by == "language"
             else KEY_LABELS.get(by, {}))
    return [{**row, "label": str(names.get(row["key"], row["label"] or "–"))} for row in rows]


@bp.get("/")
@analyst_required
def dashboard():
    runtime().scan_recorder.flush()  # scans still buffered in this process count too
    filters, error = _filters()
    query, interval, session = _query(filters), _interval(filters), db()
    # Every figure on the page is its own read: on PostgreSQL, two at a time.
    reads = {"summary": lambda own: analytics.summary(own, filters),
             "series": lambda own: analytics.timeseries(own, filters, interval),
             "top": lambda own: _top(own, filters, interval, "item"),
             "placements": lambda own: _top(own, filters, interval, "code"),
             "by_hour": lambda own: analytics.scans_by(own, filters, "hour"),
             "heatmap": lambda own: analytics.scans_by(own, filters, "weekday_hour")}
    reads.update({by: (lambda own, by=by: analytics.breakdown(own, filters, by))
                  for by, _label in SPLITS})
    reads["languages"] = lambda own: analytics.languages(own, filters)
    figures = analytics.read_together(session, reads)
    summary, series, by_hour = figures["summary"], figures["series"], figures["by_hour"]
    top, placements = figures["top"], figures["placements"]
    splits = [(by, label, _labelled(by, figures[by])) for by, label in SPLITS]
    funnel = [(_("Pages opened (scans + views)"), summary["scans"] + summary["views"]),
              (_("Video plays"), summary["plays"]), (_("Watched halfway"), summary["halfway"]),
              (_("Completions"), summary["completions"])]
    return render_template(
        "ops/dashboard.html", filters=filters, query=query, error=error, interval=interval,
        items=item_service.list_items(session), kpis=kpis(summary), summary=summary,
        series=[{**row, "label": _tick(row["t"], interval)} for row in series],
        splits=splits, by_hour=[(f"{hour:02d}", by_hour.get(hour, 0)) for hour in range(24)],
        top=top, placements=placements, funnel=funnel, heatmap=_heatmap(figures["heatmap"]),
        languages=_asked_and_served(figures["languages"]),
        charts=charts, pairs=_pairs, csv=_csv_links(query, interval))


def _asked_and_served(rows: list[dict]) -> list[dict]:
    """The rows of languages asked for and served, each language named in its own words."""
    return [{**row, "asked_name": _own_name(row["asked"]) if row["asked"] else _("Not stated"),
             "served_name": _own_name(row["served"])} for row in rows]


def _own_name(tag: str) -> str:
    # A tag asked for may be one Babel has no name for (a visitor's browser says anything).
    try:
        return f"{own_name(tag)} ({tag})"
    except (ValueError, UnknownLocaleError):
        return tag


def _top(session, filters: analytics.Filters, interval: str, by: str) -> list[dict]:
    """The most scanned items or codes (placements), each with its scans over time."""
    rows = analytics.breakdown(session, filters, by)[:TOP_ITEMS]
    series = analytics.scan_series(session, filters, interval, by, [row["key"] for row in rows])
    if by == "code":  # a placement shows as its printed code and where it is stuck
        rows = [{**row, "label": f"{row['key']} {row['label']}".strip()} for row in rows]
    return [{**row, "series": series[row["key"]]} for row in rows]


def _heatmap(scans_by_hour_of_week: dict[int, int]) -> dict:
    """Scans by weekday (rows, Monday first) and venue hour (columns)."""
    grid = [[0] * 24 for _day in range(7)]
    for number, scans in scans_by_hour_of_week.items():
        grid[number // 24][number % 24] = scans
    names = get_day_names("abbreviated", locale=get_locale())
    days = [names[day] for day in range(7)]
    return {"grid": grid, "days": days,
            "rows": [(days[day], hour, grid[day][hour]) for day in range(7)
                     for hour in range(24) if grid[day][hour]]}


def _pairs(rows: list[dict]) -> list[tuple[str, int]]:
    """(label, scans) for each row, as the charts take them."""
    return [(str(row["label"]), row["scans"]) for row in rows]


def _csv_links(query: dict, interval: str) -> dict:
    def link(view: str, **extra) -> str:
        return url_for("analytics_api.analytics_export", view=view, **query, **extra)

    links = {"summary": link("summary"), "timeseries": link("timeseries", interval=interval),
             "item": link("breakdown", by="item"), "hour": link("breakdown", by="hour"),
             "code": link("breakdown", by="code"),
             "weekday_hour": link("breakdown", by="weekday_hour"),
             "languages": link("languages")}
    links.update({by: link("breakdown", by=by) for by, _label in SPLITS})
    return links
