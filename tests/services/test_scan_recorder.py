"""The scan writer: rows stored as an INSERT would store them (COPY on PostgreSQL), and a
row whose code is gone dropped without holding back the rest of its group."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from motpub.codes.models.code import Code
from motpub.analytics.models.scan import DeviceClass, Scan
from motpub.i18n import LanguageSource
from motpub.analytics.models.engagement import Engagement, EngagementKind
from motpub.analytics.services.scans import ScanRecorder

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 MicroMessenger/8.0.49")


def test_a_group_keeps_its_rows_but_one_whose_code_is_gone(app, api):
    factory = app.extensions["motpub"].session_factory
    code = api.published_item_with_code(slug="kept")[1]
    with factory() as session:
        code_id, item_id = session.execute(select(Code.id, Code.item_id)
                                           .where(Code.code == code)).one()
    recorder = ScanRecorder(factory, linger_s=0.5)  # the three go in one group
    before = dt.datetime.now(dt.UTC)
    for scanned_code in (code_id, code_id + 1000, code_id):  # the middle one is no code
        recorder.record_scan(code_id=scanned_code, item_id=item_id, language="en",
                             language_source=LanguageSource.PARAM, user_agent=IPHONE,
                             ip="203.0.113.7", referrer="https://mp.weixin.qq.com/s/x")
    recorder.record_engagement(item_id=item_id, video_id=None, page_session="p1",
                               kind=EngagementKind.VIDEO_START, value=812.5, language="en",
                               code_id=code_id)
    recorder.flush()
    assert recorder.pending() == 0
    with factory() as session:
        scans = session.scalars(select(Scan)).all()
        beacon = session.scalars(select(Engagement)).one()
    assert [scan.code_id for scan in scans] == [code_id, code_id]
    scan = scans[0]
    assert (scan.language_source, scan.device_class, scan.in_app, scan.referrer_host,
            scan.is_bot, scan.is_orphan) == (LanguageSource.PARAM, DeviceClass.MOBILE,
                                             "wechat", "mp.weixin.qq.com", False, False)
    assert len(scan.visitor_hash) == 32 and "203.0.113.7" not in scan.visitor_hash
    assert before - dt.timedelta(seconds=1) <= scan.scanned_at <= dt.datetime.now(dt.UTC)
    assert (beacon.kind, beacon.value, beacon.page_session, beacon.code_id) == (
        EngagementKind.VIDEO_START, 812.5, "p1", code_id)
