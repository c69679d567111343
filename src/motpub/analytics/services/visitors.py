"""What analytics may know about a visitor: device, OS, browser, in-app browser, bot or not,
and a daily-salted hash for unique counts. The raw IP and user agent never leave memory."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import maxminddb
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from ua_parser import parse

from motpub.analytics.models.scan import DeviceClass, VisitorSalt
from motpub.database import rows_changed

# Apps whose built-in browsers open most scans in China and abroad. Order matters: WeCom's
# user agent also says MicroMessenger.
IN_APP_BROWSERS = [
    ("wecom", re.compile(r"wxwork/", re.I)),
    ("wechat", re.compile(r"MicroMessenger/", re.I)),
    ("qq", re.compile(r"\bQQ/\d", re.I)),
    ("alipay", re.compile(r"AlipayClient", re.I)),
    ("weibo", re.compile(r"\bWeibo\b", re.I)),
    ("dingtalk", re.compile(r"DingTalk", re.I)),
    ("douyin", re.compile(r"aweme|BytedanceWebview|musical_ly", re.I)),
    ("toutiao", re.compile(r"NewsArticle/", re.I)),
    ("kuaishou", re.compile(r"Kwai|kuaishou", re.I)),
    ("xiaohongshu", re.compile(r"XiaoHongShu|discover/\d", re.I)),
    ("baidu", re.compile(r"baiduboxapp", re.I)),
    ("line", re.compile(r"\bLine/\d", re.I)),
    ("whatsapp", re.compile(r"WhatsApp/", re.I)),
    ("facebook", re.compile(r"FBAN/|FBAV/|FB_IAB", re.I)),
    ("instagram", re.compile(r"Instagram", re.I)),
    ("telegram", re.compile(r"Telegram", re.I)),
]
# Link-preview fetchers: they open a page to draw a card in a chat, no person looks at it.
PREVIEW_FETCHERS = re.compile(
    r"facebookexternalhit|Facebot|Twitterbot|Slackbot|Discordbot|TelegramBot|"
    r"WhatsApp/\S+ [AW]$|LinkedInBot|SkypeUriPreview|Pinterest|redditbot|Embedly|"
    r"bingpreview|Google-PageRenderer|Applebot|vkShare|W3C_Validator|HeadlessChrome|"
    r"bot\b|crawler|spider|curl/|Wget/|python-requests|python-urllib|Go-http-client|okhttp",
    re.I)


@dataclass(frozen=True, slots=True)
class Visitor:
    device_class: DeviceClass
    os: str
    browser: str
    in_app: str
    is_bot: bool


@lru_cache(maxsize=8192)
def classify(user_agent: str) -> Visitor:
    """Classes of a user agent; cached, since a venue's phones repeat a few hundred strings."""
    user_agent = user_agent[:512]
    in_app = next((name for name, pattern in IN_APP_BROWSERS if pattern.search(user_agent)), "")
    result = parse(user_agent)
    device = result.device.family if result.device else ""
    is_bot = (not user_agent.strip() or device == "Spider"
              or bool(PREVIEW_FETCHERS.search(user_agent)))
    os_name = result.os.family if result.os else ""
    if is_bot:
        device_class = DeviceClass.BOT
    elif re.search(r"iPad|Tablet|Android(?!.*Mobile)", user_agent):
        device_class = DeviceClass.TABLET
    elif re.search(r"Mobile|iPhone|Android|MicroMessenger", user_agent):
        device_class = DeviceClass.MOBILE
    elif os_name in ("Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS", "Fedora"):
        device_class = DeviceClass.DESKTOP
    else:
        device_class = DeviceClass.OTHER
    browser = result.user_agent.family if result.user_agent else ""
    return Visitor(device_class=device_class, os=os_name[:32], browser=browser[:32],
                   in_app=in_app, is_bot=is_bot)


def referrer_host(referrer: str | None) -> str:
    if not referrer:
        return ""
    try:
        return (urlsplit(referrer).hostname or "")[:255]
    except ValueError:
        return ""


def visitor_hash(salt: str, item_id: int, ip: str, user_agent: str) -> str:
    message = f"{salt}\n{item_id}\n{ip}\n{user_agent}".encode()
    return hashlib.sha256(message).hexdigest()[:32]


def salt_for(session: Session, day: dt.date) -> str:
    """The day's random salt, made by whichever process needs it first."""
    salt = session.scalar(select(VisitorSalt.salt).where(VisitorSalt.day == day))
    if salt is not None:
        return salt
    try:
        with session.begin_nested():
            session.add(VisitorSalt(day=day, salt=secrets.token_hex(32)))
    except IntegrityError:
        pass  # another process made it first; use theirs
    return session.scalars(select(VisitorSalt.salt).where(VisitorSalt.day == day)).one()


def delete_old_salts(session: Session, *, today: dt.date) -> int:
    """Salts older than yesterday go: from then on no hash can be recomputed from an IP."""
    result = session.execute(delete(VisitorSalt).where(
        VisitorSalt.day < today - dt.timedelta(days=1)))
    return rows_changed(result)


def country_lookup(path: str | Path) -> Callable[[str], str]:
    """A function from an IP address to its ISO 3166 alpha-2 country ('' when unknown), read
    from a MaxMind-format database (GeoLite2-Country, DB-IP...). The file is memory-mapped
    once and shared by every thread."""
    reader = maxminddb.open_database(str(path))

    def country_of(ip: str) -> str:
        try:
            record = reader.get(ip)
        except ValueError:  # not an address
            return ""
        if not isinstance(record, dict):
            return ""
        place = record.get("country") or record.get("registered_country") or {}
        code = place.get("iso_code", "") if isinstance(place, dict) else ""
        return code.upper() if isinstance(code, str) and len(code) == 2 else ""

    return country_of
