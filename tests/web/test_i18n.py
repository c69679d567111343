"""The interface in Chinese and English: studio pages, flash messages, the language switch,
the public page's own strings, and a catalogue with every string translated."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from motpub.config import PROJECT_ROOT
from tests.support import PASSWORD, csrf_token, login

TRANSLATIONS = PROJECT_ROOT / "src" / "motpub" / "translations"
ZH_PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
ZH_MO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.mo"
# The same keywords as scripts/translations passes to pybabel extract.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def html_lang(page: str) -> str:
    match = re.search(r'<html lang="([^"]+)">', page)
    assert match, "no <html lang> in the page"
    return match.group(1)


# --- studio ------------------------------------------------------------------------------


def test_login_page_follows_accept_language(client):
    zh = client.get("/studio/login", headers=ZH)
    assert zh.status_code == 200
    assert html_lang(zh.text) == "zh"
    for text in ("登录编辑后台", "邮箱", "密码", "<title>登录 ·"):
        assert text in zh.text
    assert "Log in to the studio" not in zh.text and "Password" not in zh.text

    en = client.get("/studio/login", headers=EN)
    assert html_lang(en.text) == "en"
    for text in ("Log in to the studio", "Email", "Password", "<title>Log in ·"):
        assert text in en.text
    assert "登录" not in en.text and "密码" not in en.text


def test_flash_message_from_python_is_translated(client, editor_token):
    page = client.get("/studio/login", headers=ZH)
    response = client.post("/studio/login", headers=ZH, data={
        "email": "editor@example.org", "password": "not " + PASSWORD,
        "csrf_token": csrf_token(page.text)})
    assert "邮箱或密码错误。" in response.text
    assert "Wrong email or password." not in response.text


def test_items_page_in_chinese_after_login(client, api):
    assert login(client, "editor@example.org").status_code == 302
    empty = client.get("/studio/", headers=ZH)
    assert empty.status_code == 200
    assert html_lang(empty.text) == "zh"
    for text in ("<h1 class=\"grow\">展品</h1>", "新建展品", "还没有展品，请创建第一个。",
                 "退出登录"):
        assert text in empty.text
    assert ">English</a>" in empty.text  # the switch offers the other language

    api.create_item()
    listed = client.get("/studio/", headers=ZH)
    for text in ("标题", "网址别名", "状态", "更新时间", "草稿", "青铜鼎"):
        assert text in listed.text
    for text in ("Items", "New item", "Slug", "draft", "Log out"):
        assert f">{text}<" not in listed.text

    english = client.get("/studio/", headers=EN)
    assert html_lang(english.text) == "en"
    for text in (">Items<", ">New item<", ">Slug<", ">draft<", ">Log out<"):
        assert text in english.text


def test_item_page_and_its_flash_messages_in_chinese(client, api):
    item = api.create_item()
    login(client, "editor@example.org")
    page = client.get(f"/studio/items/{item['id']}", headers=ZH)
    for text in ("预览中文版", "预览英文版", ">发布<", "扫码次数：0", ">短码<", "新建短码",
                 "标签，例如：2 号展厅 14 号展柜", "标题（中文）", "正文（英文，Markdown）",
                 "留空则根据英文标题生成", ">保存<"):
        assert text in page.text

    published = client.post(f"/studio/items/{item['id']}/publish", headers=ZH,
                            data={"csrf_token": csrf_token(page.text)}, follow_redirects=True)
    assert "已发布：参观者现在可以打开此展品。" in published.text
    assert ">取消发布<" in published.text

    coded = client.post(f"/studio/items/{item['id']}/codes", headers=ZH,
                        data={"csrf_token": csrf_token(page.text), "label": "Hall 1"},
                        follow_redirects=True)
    assert re.search(r"已新建短码 [A-Za-z0-9]+。", coded.text), "code placeholder not filled"


# --- the language switch -----------------------------------------------------------------


def test_language_switch_sets_the_cookie_and_redirects_locally(client):
    response = client.get("/studio/language/zh?next=/studio/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/studio/"
    cookie = response.headers["Set-Cookie"]
    assert "motpub_lang=zh" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie

    # The cookie beats Accept-Language from then on.
    assert html_lang(client.get("/studio/login", headers=EN).text) == "zh"
    client.get("/studio/language/en?next=/studio/login")
    assert html_lang(client.get("/studio/login", headers=ZH).text) == "en"


@pytest.mark.parametrize("target", [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "https:/evil.example/",
    "/\t/evil.example/",
    "javascript:alert(1)",
    "",
])
def test_language_switch_never_redirects_off_site(client, target):
    response = client.get("/studio/language/zh", query_string={"next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    # Where a browser would go: it reads a backslash as a slash and drops tabs.
    browser = urljoin("http://motpub.test/studio/language/zh",
                      location.replace("\\", "/").replace("\t", ""))
    assert urlsplit(browser).netloc == "motpub.test", location
    if target != "/\\evil.example/":  # that one stays local as /%5Cevil.example/
        assert location == "/studio/"
    assert "motpub_lang=zh" in response.headers["Set-Cookie"]


def test_unknown_language_sets_no_cookie(client):
    response = client.get("/studio/language/fr?next=/studio/login")
    assert response.status_code == 302
    assert "Set-Cookie" not in response.headers


# --- the public page ---------------------------------------------------------------------


@pytest.fixture
def bilingual_gaps(api):
    """A published item whose summary is only in Chinese and body only in English, with a link."""
    return api.published_item_with_code(
        title={"zh": "青铜鼎", "en": "Bronze ding"},
        summary={"zh": "商代晚期的礼器"},
        body={"en": "A ritual vessel."},
        links=[{"url": "https://museum.example/ding",
                "title": {"zh": "馆藏介绍", "en": "Collection notes"}}],
    )


def test_public_page_interface_strings_follow_the_page_language(client, bilingual_gaps):
    _item, code = bilingual_gaps
    zh = client.get(f"/s/{code}?lang=zh")
    assert html_lang(zh.text) == "zh"
    assert "<h2>相关链接</h2>" in zh.text
    assert '<span class="fallback" lang="zh">以英文显示</span>' in zh.text
    assert "Links" not in zh.text and "Shown in English" not in zh.text

    en = client.get(f"/s/{code}?lang=en")
    assert html_lang(en.text) == "en"
    assert "<h2>Links</h2>" in en.text
    assert '<span class="fallback" lang="en">Shown in Chinese</span>' in en.text
    assert "相关链接" not in en.text and "显示" not in en.text


def test_page_cache_keeps_each_languages_interface_strings(client, bilingual_gaps):
    item, code = bilingual_gaps
    for _round in range(2):  # the second round is served from the page cache
        assert "<h2>Links</h2>" in client.get(f"/s/{code}?lang=en").text
        assert "<h2>相关链接</h2>" in client.get(f"/s/{code}?lang=zh").text
        assert "<h2>Links</h2>" in client.get(f"/i/{item['slug']}?lang=en").text


def test_preview_banner_in_the_previewed_language(client, api):
    item = api.create_item(links=[{"url": "https://museum.example/ding",
                                   "title": {"zh": "馆藏介绍", "en": "Collection notes"}}])
    login(client, "editor@example.org")
    zh = client.get(f"/studio/items/{item['id']}/preview?lang=zh", headers=EN).text
    assert "预览：发布之前，参观者无法看到此页面" in zh and "<h2>相关链接</h2>" in zh
    en = client.get(f"/studio/items/{item['id']}/preview?lang=en", headers=ZH).text
    assert "Preview: visitors cannot see this page until it is published" in en
    assert "<h2>Links</h2>" in en


# --- the catalogue -----------------------------------------------------------------------


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)[sd]", text))


def test_every_message_is_translated_and_keeps_its_placeholders():
    with ZH_PO.open("rb") as file:
        catalog = read_po(file)
    messages = [message for message in catalog if message.id]
    assert messages, "the catalogue is empty"
    untranslated = [message.id for message in messages if not message.string]
    fuzzy = [message.id for message in messages if message.fuzzy]
    assert untranslated == [], "run scripts/translations and translate these in messages.po"
    assert fuzzy == [], "check these translations and remove their fuzzy flag"
    for message in messages:
        assert _placeholders(message.string) == _placeholders(message.id), message.id


def test_catalogue_covers_every_string_in_the_code():
    """A new _("...") in src/ or templates/ fails here until scripts/translations is run."""
    with (PROJECT_ROOT / "babel.cfg").open() as file:
        method_map, options_map = parse_mapping_cfg(file)
    in_code = {message for _file, _line, message, _comments, _context in extract_from_dir(
        PROJECT_ROOT, method_map, options_map, keywords=KEYWORDS)}
    in_code = {message if isinstance(message, str) else message[0] for message in in_code}
    with ZH_PO.open("rb") as file:
        in_catalogue = {message.id for message in read_po(file) if message.id}
    assert sorted(in_code - in_catalogue) == [], "run scripts/translations and translate"


def test_compiled_catalogue_matches_the_po():
    with ZH_PO.open("rb") as file:
        po = {message.id: message.string for message in read_po(file) if message.id}
    with ZH_MO.open("rb") as file:
        mo = {message.id: message.string for message in read_mo(file) if message.id}
    assert mo == po, "messages.mo is stale: run scripts/translations compile"
