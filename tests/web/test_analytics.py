"""Analytics figures against a known answer, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from sqlalchemy import func, select, update

import pytest

from motpub.domain import Engagement, Scan, View
from motpub.services import analytics
from motpub.services.rollups import GRACE, hour_of, roll_up_visits, watermark
from tests.conftest import Api
from tests.services.test_visitors import IOS_WECHAT

ANDROID = ("Mozilla/5.0 (Linux; Android 13; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/120.0 Mobile Safari/537.36")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 5, day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.UTC)


# How far the hourly rollups have got when the figures are read: not at all, up to 12:00 on
# 18 May (the rest is the raw tail), everything, and everything with the raw rows deleted.
STAGES = ("raw", "partly rolled up", "rolled up", "raw rows deleted")
LATER = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def bring_to(app, stage: str) -> None:
    """Run the rollup job as far as the stage says, and check it got there."""
    factory = app.extensions["motpub"].session_factory
    if stage == "partly rolled up":
        roll_up_visits(factory, now=at(18, 12) + GRACE, keep_days=3650)
        expected = hour_of(at(18, 12))
    elif stage == "rolled up":
        roll_up_visits(factory, now=LATER, keep_days=3650)
        expected = hour_of(LATER - GRACE)
    elif stage == "raw rows deleted":
        roll_up_visits(factory, now=LATER, keep_days=2)
        expected = hour_of(LATER - GRACE)
    else:
        return
    with factory() as session:
        assert watermark(session) == expected
        remaining = session.scalar(select(func.count(Scan.id)))
    assert (remaining == 0) == (stage == "raw rows deleted")


@pytest.mark.parametrize("stage", STAGES)
def test_figures_match_the_known_mix(app, client, api, analyst_token, stage):
    item_a, code_a = api.published_item_with_code(slug="ding")
    item_b, code_b = api.published_item_with_code(slug="cong")
    visit = [  # (path, user agent, address, language, venue time)
        (f"/s/{code_a}?lang=zh", IOS_WECHAT, "10.0.0.1", at(18, 10)),
        (f"/s/{code_a}?lang=zh", IOS_WECHAT, "10.0.0.1", at(18, 11)),
        (f"/s/{code_a}?lang=zh", IOS_WECHAT, "10.0.0.1", at(19, 0, 30)),  # after midnight
        (f"/s/{code_a}?lang=en", ANDROID, "10.0.0.2", at(18, 12)),
        (f"/s/{code_b}?lang=en", ANDROID, "10.0.0.2", at(18, 23, 30)),  # before midnight
        (f"/s/{code_a}", "facebookexternalhit/1.1", "10.0.0.9", at(18, 13)),
        (f"/s/{code_a}", "facebookexternalhit/1.1", "10.0.0.9", at(18, 14)),
        (f"/i/{item_a['slug']}?lang=zh", IOS_WECHAT, "10.0.0.3", at(18, 15)),
    ]
    for path, agent, address, _when in visit:
        client.get(path, headers={"User-Agent": agent}, environ_base={"REMOTE_ADDR": address})
    # The first page was opened through code_a; the second claims item_b's code, which
    # does not lead to item_a, so it counts for no code.
    for kind, value, session_id, code in (("video_start", 900, "sessionone", code_a),
                                          ("video_progress", 100, "sessionone", code_a),
                                          ("watch_time", 40, "sessionone", code_a),
                                          ("video_start", 1500, "sessiontwo", code_b),
                                          ("watch_time", 12, "sessiontwo", code_b)):
        client.post("/e", data=json.dumps({"i": item_a["id"], "s": session_id, "k": kind,
                                           "v": value, "c": code}), content_type="text/plain")
    runtime = app.extensions["motpub"]
    runtime.scan_recorder.flush()
    # The rows were recorded now; move them to the moments the story needs.
    with runtime.session_factory() as session, session.begin():
        scan_ids = session.scalars(select(Scan.id).order_by(Scan.id)).all()
        for scan_id, (_p, _a, _ip, when) in zip(scan_ids, visit[:7], strict=True):
            session.execute(update(Scan).where(Scan.id == scan_id).values(scanned_at=when))
        session.execute(update(View).values(viewed_at=visit[7][3]))
        session.execute(update(Engagement).values(created_at=at(18, 10, 5)))
        # The second and fourth scans were in exhibition 7, the Android ones from abroad.
        session.execute(update(Scan).where(Scan.id.in_(scan_ids[1::2][:2]))
                        .values(exhibition_id=7))
        session.execute(update(Scan).where(Scan.id.in_(scan_ids[3:5])).values(country="GB"))
        session.execute(update(Engagement).where(Engagement.page_session == "sessionone")
                        .values(exhibition_id=7))
    # A code taken off its case: its scan leads nowhere and is counted apart, as an orphan.
    retired = api.post(f"/items/{item_b['id']}/codes", json={"label": "retired"}).get_json()
    assert api.patch(f"/codes/{retired['code']}", json={"enabled": False}).status_code == 200
    client.get(f"/s/{retired['code']}", headers={"User-Agent": ANDROID},
               environ_base={"REMOTE_ADDR": "10.0.0.4"})
    runtime.scan_recorder.flush()
    with runtime.session_factory() as session, session.begin():
        session.execute(update(Scan).where(Scan.is_orphan.is_(True))
                        .values(scanned_at=at(18, 16)))
    bring_to(app, stage)

    analyst = Api(client, analyst_token)
    may18 = {"from": "2026-05-18", "to": "2026-05-18"}
    summary = analyst.get("/analytics/summary", query_string=may18).get_json()
    assert {key: summary[key] for key in ("scans", "visitors", "bot_scans", "views", "plays",
                                          "completions", "median_watch_s")} == {
        "scans": 4, "visitors": 4, "bot_scans": 2, "views": 1, "plays": 2,
        "completions": 1, "median_watch_s": 26.0}
    assert summary["halfway"] == 1 and summary["orphan_scans"] == 1
    assert summary["play_rate"] == round(2 / 5, 4) and summary["completion_rate"] == 0.5
    assert summary["previous"]["scans"] == 0

    both = {"from": "2026-05-18", "to": "2026-05-19"}
    series = analyst.get("/analytics/timeseries",
                         query_string={**both, "interval": "day"}).get_json()["rows"]
    assert series == [{"t": "2026-05-18T00:00:00", "scans": 4, "visitors": 3},
                      {"t": "2026-05-19T00:00:00", "scans": 1, "visitors": 1}]
    hours = analyst.get("/analytics/timeseries",
                        query_string={**may18, "interval": "hour"}).get_json()["rows"]
    assert len(hours) == 24 and sum(row["scans"] for row in hours) == 4

    def breakdown(by, **extra):
        rows = analyst.get("/analytics/breakdown",
                           query_string={**both, "by": by, **extra}).get_json()["rows"]
        return {row["key"]: (row["scans"], row["visitors"]) for row in rows}

    assert breakdown("in_app") == {"wechat": (3, 1), "": (2, 2)}
    assert breakdown("language") == {"zh": (3, 1), "en": (2, 2)}
    assert breakdown("item") == {item_a["id"]: (4, 2), item_b["id"]: (1, 1)}
    assert breakdown("device") == {"mobile": (5, 3)}
    assert breakdown("os") == {"iOS": (3, 1), "Android": (2, 2)}
    assert breakdown("hour") == {10: (1, 1), 11: (1, 1), 0: (1, 1), 12: (1, 1), 23: (1, 1)}
    assert breakdown("item", code=code_b) == {item_b["id"]: (1, 1)}
    assert breakdown("item", language="en") == {item_a["id"]: (1, 1), item_b["id"]: (1, 1)}
    assert breakdown("browser") == {"WeChat Browser": (3, 1), "Chrome": (2, 2)}
    assert breakdown("country") == {"GB": (2, 2), "": (3, 1)}
    # Codes are keyed by their printed code, as /api/v1/codes/<code> addresses them.
    assert breakdown("code") == {code_a: (4, 2), code_b: (1, 1)}
    assert breakdown("code", code=code_b) == {code_b: (1, 1)}
    # 18 May 2026 was a Monday; 00:30 on the 19th is Tuesday's first hour.
    assert breakdown("weekday_hour") == {"1-10": (1, 1), "1-11": (1, 1), "1-12": (1, 1),
                                         "1-23": (1, 1), "2-00": (1, 1)}
    assert breakdown("item", exhibition_id="7") == {item_a["id"]: (2, 2)}
    assert breakdown("item", code="nosuchcode") == {}
    assert [(row["key"], row["label"]) for row in analyst.get("/analytics/breakdown", query_string={
        **both, "by": "code"}).get_json()["rows"]] == [(code_a, "Hall 1"), (code_b, "Hall 1")]

    by_exhibition = analyst.get("/analytics/summary",
                                query_string={**may18, "exhibition_id": 7}).get_json()
    assert (by_exhibition["scans"], by_exhibition["views"], by_exhibition["plays"],
            by_exhibition["completions"]) == (2, 0, 1, 1)
    by_code = analyst.get("/analytics/summary",
                          query_string={**both, "code": code_a}).get_json()
    assert (by_code["scans"], by_code["bot_scans"], by_code["visitors"]) == (4, 2, 2)
    assert (by_code["plays"], by_code["completions"], by_code["median_watch_s"]) == (1, 1, 40)
    other_code = analyst.get("/analytics/summary",
                             query_string={**both, "code": code_b}).get_json()
    assert (other_code["scans"], other_code["plays"]) == (1, 0)
    weeks = analyst.get("/analytics/timeseries",
                        query_string={**both, "interval": "week"}).get_json()["rows"]
    assert weeks == [{"t": "2026-05-18T00:00:00", "scans": 5, "visitors": 3}]
    assert [row["scans"] for row in hours if row["scans"]] == [1, 1, 1, 1]
    assert [row["t"][11:13] for row in hours if row["scans"]] == ["10", "11", "12", "23"]

    # What the dashboard draws from scans alone (sparklines, hours, heatmap), in one query
    # each: the same counts as the figures above.
    with runtime.session_factory() as session:
        filters = analytics.parse_filters(both)
        assert analytics.scan_series(session, filters, "day", "item",
                                     [item_a["id"], item_b["id"]]) == {
            item_a["id"]: [3, 1], item_b["id"]: [1, 0]}
        assert analytics.scan_series(session, filters, "week", "code", [code_a, code_b]) == {
            code_a: [4], code_b: [1]}
        assert analytics.scans_by(session, filters, "code") == {code_a: 4, code_b: 1}
        assert analytics.scans_by(session, filters, "hour") == {
            10: 1, 11: 1, 0: 1, 12: 1, 23: 1}
        assert analytics.scans_by(session, filters, "weekday_hour") == {
            10: 1, 11: 1, 12: 1, 23: 1, 24: 1}
        assert analytics.scans_by(session, analytics.parse_filters(
            {**both, "code": code_b}), "item") == {item_b["id"]: 1}

    exported = analyst.get("/analytics/export.csv",
                           query_string={**both, "view": "breakdown", "by": "language"})
    assert exported.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert [(row["key"], row["scans"]) for row in table] == [("zh", "3"), ("en", "2")]
    exported = analyst.get("/analytics/export.csv",
                           query_string={**both, "view": "breakdown", "by": "code"})
    table = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert [(row["key"], row["label"], row["scans"]) for row in table] == [
        (code_a, "Hall 1", "4"), (code_b, "Hall 1", "1")]


@pytest.mark.parametrize("stage", STAGES)
def test_breakdown_by_code_is_keyed_by_the_printed_code(app, client, api, analyst_token,
                                                        stage):
    item, hall = api.published_item_with_code(slug="ding")
    unlabelled = api.post(f"/items/{item['id']}/codes").get_json()["code"]
    for code, address in ((hall, "10.0.0.1"), (hall, "10.0.0.2"), (unlabelled, "10.0.0.3")):
        client.get(f"/s/{code}", headers={"User-Agent": ANDROID},
                   environ_base={"REMOTE_ADDR": address})
    runtime = app.extensions["motpub"]
    runtime.scan_recorder.flush()
    with runtime.session_factory() as session, session.begin():
        session.execute(update(Scan).values(scanned_at=at(18, 10)))
    bring_to(app, stage)

    analyst, may18 = Api(client, analyst_token), {"from": "2026-05-18", "to": "2026-05-18"}
    rows = analyst.get("/analytics/breakdown",
                       query_string={**may18, "by": "code"}).get_json()["rows"]
    assert rows == [{"key": hall, "label": "Hall 1", "scans": 2, "visitors": 2},
                    {"key": unlabelled, "label": "", "scans": 1, "visitors": 1}]
    # The key is what the code filter and the codes API take.
    for row in rows:
        assert api.get(f"/codes/{row['key']}").status_code == 200
        summary = analyst.get("/analytics/summary",
                              query_string={**may18, "code": row["key"]}).get_json()
        assert summary["scans"] == row["scans"]
    exported = analyst.get("/analytics/export.csv",
                           query_string={**may18, "view": "breakdown", "by": "code"})
    table = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert [(row["key"], row["label"], row["scans"]) for row in table] == [
        (hall, "Hall 1", "2"), (unlabelled, "", "1")]


def test_analytics_needs_the_analyst_or_admin_role(client, api, analyst_token):
    assert api.get("/analytics/summary").status_code == 403
    assert Api(client, analyst_token).get("/analytics/summary").status_code == 200


def test_bad_analytics_parameters_are_422(client, analyst_token):
    analyst = Api(client, analyst_token)
    for path, query in (("/analytics/summary", {"from": "18 May"}),
                        ("/analytics/summary", {"from": "2026-05-19", "to": "2026-05-18"}),
                        ("/analytics/summary", {"language": "fr"}),
                        ("/analytics/summary", {"item_id": "x"}),
                        ("/analytics/timeseries", {"interval": "minute"}),
                        ("/analytics/breakdown", {"by": "shoe_size"}),
                        ("/analytics/export.csv", {"view": "pie"})):
        response = analyst.get(path, query_string=query)
        assert response.status_code == 422, (path, query)
        assert response.get_json()["error"]["field"]


def test_analytics_export_quotes_labels_a_spreadsheet_would_run_as_formulas(
        client, api, analyst_token):
    _item, code = api.published_item_with_code(title={"zh": "=1+2", "en": "@SUM(A1)"})
    assert client.get(f"/s/{code}", headers={"User-Agent": ANDROID}).status_code == 200
    analyst = Api(client, analyst_token)
    exported = analyst.get("/analytics/export.csv", query_string={"view": "breakdown",
                                                                  "by": "item"})
    rows = list(csv.DictReader(io.StringIO(exported.text.removeprefix("\ufeff"))))
    assert len(rows) == 1 and rows[0]["scans"] == "1"
    assert rows[0]["label"] in ("'=1+2", "'@SUM(A1)")
