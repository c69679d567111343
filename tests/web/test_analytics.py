"""Analytics figures against a known answer, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from sqlalchemy import select, update

from motpub.domain import Engagement, Scan, View
from tests.conftest import Api
from tests.services.test_visitors import IOS_WECHAT

ANDROID = ("Mozilla/5.0 (Linux; Android 13; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/120.0 Mobile Safari/537.36")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 5, day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.UTC)


def test_figures_match_the_known_mix(app, client, api, analyst_token):
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
    for kind, value, session_id in (("video_start", 900, "sessionone"),
                                    ("video_progress", 100, "sessionone"),
                                    ("watch_time", 40, "sessionone"),
                                    ("video_start", 1500, "sessiontwo"),
                                    ("watch_time", 12, "sessiontwo")):
        client.post("/e", data=json.dumps({"i": item_a["id"], "s": session_id, "k": kind,
                                           "v": value}), content_type="text/plain")
    runtime = app.extensions["motpub"]
    runtime.scan_recorder.flush()
    # The rows were recorded now; move them to the moments the story needs.
    with runtime.session_factory() as session, session.begin():
        scan_ids = session.scalars(select(Scan.id).order_by(Scan.id)).all()
        for scan_id, (_p, _a, _ip, when) in zip(scan_ids, visit[:7], strict=True):
            session.execute(update(Scan).where(Scan.id == scan_id).values(scanned_at=when))
        session.execute(update(View).values(viewed_at=visit[7][3]))
        session.execute(update(Engagement).values(created_at=at(18, 10, 5)))

    analyst = Api(client, analyst_token)
    may18 = {"from": "2026-05-18", "to": "2026-05-18"}
    summary = analyst.get("/analytics/summary", query_string=may18).get_json()
    assert {key: summary[key] for key in ("scans", "visitors", "bot_scans", "views", "plays",
                                          "completions", "median_watch_s")} == {
        "scans": 4, "visitors": 4, "bot_scans": 2, "views": 1, "plays": 2,
        "completions": 1, "median_watch_s": 26.0}
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

    exported = analyst.get("/analytics/export.csv",
                           query_string={**both, "view": "breakdown", "by": "language"})
    assert exported.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert [(row["key"], row["scans"]) for row in table] == [("zh", "3"), ("en", "2")]


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
