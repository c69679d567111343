from __future__ import annotations

import pytest
from sqlalchemy import select

from motpub.analytics.models.scan import DeviceClass
from motpub.analytics.services.visitors import classify, referrer_host, visitor_hash
from tests.factories import IOS_WECHAT


@pytest.mark.parametrize(("user_agent", "device", "os_name", "in_app", "is_bot"), [
    (IOS_WECHAT, DeviceClass.MOBILE, "iOS", "wechat", False),
    ("Mozilla/5.0 (Linux; Android 13; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0 Mobile Safari/537.36", DeviceClass.MOBILE, "Android", "", False),
    ("Mozilla/5.0 (Linux; Android 12; V2154A; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Version/4.0 Chrome/101.0 Mobile Safari/537.36 AlipayClient/10.5.3",
     DeviceClass.MOBILE, "Android", "alipay", False),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
     "like Gecko) Mobile/15E148 QQ/8.9.80.614 V1_IPH_SQ_8.9.80_1_APP_A Pixel/1170",
     DeviceClass.MOBILE, "iOS", "qq", False),
    ("Mozilla/5.0 (Linux; Android 11; M2012K11AC) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Version/4.0 Chrome/87.0 Mobile Safari/537.36 aweme_230400 JsSdk/1.0",
     DeviceClass.MOBILE, "Android", "douyin", False),
    ("Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.1 Mobile/15E148 Safari/604.1", DeviceClass.TABLET, "iOS", "", False),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0 Safari/537.36", DeviceClass.DESKTOP, "Windows", "", False),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
     DeviceClass.BOT, "", "", True),
    ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
     DeviceClass.BOT, "", "", True),
    ("WhatsApp/2.23.20.0 A", DeviceClass.BOT, "", "whatsapp", True),
    ("TelegramBot (like TwitterBot)", DeviceClass.BOT, "", "telegram", True),
    ("", DeviceClass.BOT, "", "", True),
])
def test_user_agents_are_classified(user_agent, device, os_name, in_app, is_bot):
    visitor = classify(user_agent)
    assert visitor.device_class is device
    assert visitor.in_app == in_app
    assert visitor.is_bot is is_bot
    if os_name:
        assert visitor.os == os_name


def test_visitor_hash_depends_on_salt_item_ip_and_agent():
    base = visitor_hash("salt", 1, "203.0.113.9", IOS_WECHAT)
    assert base == visitor_hash("salt", 1, "203.0.113.9", IOS_WECHAT)
    assert len({base, visitor_hash("other", 1, "203.0.113.9", IOS_WECHAT),
                visitor_hash("salt", 2, "203.0.113.9", IOS_WECHAT),
                visitor_hash("salt", 1, "203.0.113.10", IOS_WECHAT),
                visitor_hash("salt", 1, "203.0.113.9", "curl/8")}) == 5
    assert "203.0.113.9" not in base


def test_referrer_host_keeps_only_the_host():
    assert referrer_host("https://mp.weixin.qq.com/s/abc?x=1") == "mp.weixin.qq.com"
    assert referrer_host(None) == "" and referrer_host("not a url") == ""


def test_salts_are_made_once_per_day_and_deleted_after_two_days(app, session):
    import datetime as dt

    from motpub.analytics.models.scan import VisitorSalt
    from motpub.analytics.services.visitors import salt_for

    today = dt.datetime.now(dt.UTC).date()
    days = [today - dt.timedelta(days=n) for n in range(4)]
    salts = [salt_for(session, day) for day in days]
    session.commit()
    assert len(set(salts)) == 4 and salt_for(session, today) == salts[0]
    assert app.extensions["motpub"].tasks.delete_salts.call_local() == 2
    remaining = sorted(session.scalars(select(VisitorSalt.day)))
    assert remaining == sorted(days[:2])
