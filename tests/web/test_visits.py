"""Scans and views are classified and hashed; no raw IP or user agent is stored anywhere."""

from __future__ import annotations

from sqlalchemy import inspect, select, text

from motpub.analytics.models.scan import Scan, View
from tests.factories import IOS_WECHAT

IP = "203.0.113.77"


def rows(app, model):
    runtime = app.extensions["motpub"]
    runtime.scan_recorder.flush()
    with runtime.session_factory() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def test_scans_are_classified_and_hashed_and_views_kept_apart(app, api, client):
    item, code = api.published_item_with_code()
    headers = {"User-Agent": IOS_WECHAT, "Referer": "https://mp.weixin.qq.com/s/x"}
    client.get(f"/s/{code}", headers=headers, environ_base={"REMOTE_ADDR": IP})
    client.get(f"/s/{code}", headers=headers, environ_base={"REMOTE_ADDR": IP})
    client.get(f"/i/{item['slug']}", headers=headers, environ_base={"REMOTE_ADDR": IP})
    first, second = rows(app, Scan)
    assert (first.device_class.value, first.os, first.in_app, first.is_bot) == (
        "mobile", "iOS", "wechat", False)
    assert first.referrer_host == "mp.weixin.qq.com"
    assert first.visitor_hash and first.visitor_hash == second.visitor_hash
    [view] = rows(app, View)
    assert view.item_id == item["id"] and view.in_app == "wechat"


def test_bots_and_head_requests_are_flagged(app, api, client):
    _item, code = api.published_item_with_code()
    client.get(f"/s/{code}", headers={"User-Agent": "facebookexternalhit/1.1"})
    client.head(f"/s/{code}", headers={"User-Agent": IOS_WECHAT})
    client.get(f"/s/{code}", headers={"User-Agent": IOS_WECHAT})
    assert [scan.is_bot for scan in rows(app, Scan)] == [True, True, False]


def test_no_raw_ip_or_user_agent_is_stored_anywhere(app, api, client):
    item, code = api.published_item_with_code()
    for path in (f"/s/{code}", f"/i/{item['slug']}"):
        client.get(path, headers={"User-Agent": IOS_WECHAT, "X-Forwarded-For": "198.51.100.3"},
                   environ_base={"REMOTE_ADDR": IP})
    rows(app, Scan)
    runtime = app.extensions["motpub"]
    with runtime.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                dump = " ".join(str(value) for value in row)
                assert IP not in dump and "198.51.100.3" not in dump, table
                assert "MicroMessenger" not in dump, table


def test_forwarded_for_is_believed_only_for_trusted_hops(tmp_path, database_url):
    from motpub.app import create_app
    from tests.factories import Api, add_user
    from tests.support import make_settings

    app = create_app(make_settings(tmp_path, database_url, trusted_proxies=1))
    try:
        client = app.test_client()
        api = Api(client, add_user(app, "editor@example.org", "editor"))
        _item, code = api.published_item_with_code()
        for forwarded in ("1.1.1.1, 203.0.113.5", "2.2.2.2, 203.0.113.5"):
            client.get(f"/s/{code}", headers={"User-Agent": IOS_WECHAT,
                                              "X-Forwarded-For": forwarded})
        first, second = rows(app, Scan)
        # Only the last hop counts: a spoofed first address does not make a new visitor.
        assert first.visitor_hash == second.visitor_hash
    finally:
        app.extensions["motpub"].engine.dispose()
