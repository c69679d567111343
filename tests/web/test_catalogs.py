"""The visitor pages' own words in every shipped catalog: each catalog translates every word a
visitor can see, keeps its placeholders and its language's plural forms, is compiled, and is
the one a page in its language reads; a language without a catalog, or a catalog without an
entry, reads English."""

from __future__ import annotations

import re
from pathlib import Path

import opencc
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.util import pathmatch

from motpub import i18n
from motpub.config import PROJECT_ROOT
from tests.support import make_settings
from tests.web.test_i18n import KEYWORDS

TRANSLATIONS = PROJECT_ROOT / "src" / "motpub" / "translations"
# What the issue asks motpub to ship; English is the message ids themselves.
REQUIRED = {"zh", "zh_Hant", "ru", "ar", "fr", "es", "ja", "ko", "th"}
CATALOGS = sorted(path.parent.parent.name
                  for path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))

# Where a visitor's page gets its words: the visitor templates, the public front doors of
# every feature, and the kernel's visitor pages (404, outage, error pages).
VISITOR_SOURCES = (
    "templates/public/*.html",
    "templates/errors/*.html",
    "src/motpub/*/public.py",
    "src/motpub/*/public/*.py",
    "src/motpub/web/pages.py",
    "src/motpub/web/outage.py",
    "src/motpub/web/errors.py",
)
# Words fixed for every engineer before the templates that use them exist.
FIXED_VISITOR_WORDS = ("Language", "Audio language", "Captions", "Shown in %(language)s")
TEN = ("zh", "zh-Hant", "en", "ru", "ar", "th", "fr", "es", "ja", "ko")

MessageKey = tuple[str | None, str]  # (context, message id)


def visitor_messages() -> set[MessageKey]:
    """Every message a visitor can see, found as scripts/translations extracts them (babel.cfg's
    methods, the same keywords), plus the catalogs' names of languages (i18n.NAME_CONTEXT)."""
    with (PROJECT_ROOT / "babel.cfg").open() as file:
        method_map, options_map = parse_mapping_cfg(file)
    found: set[MessageKey] = {(None, message_id) for message_id in FIXED_VISITOR_WORDS}
    paths = {path for pattern in VISITOR_SOURCES for path in PROJECT_ROOT.glob(pattern)}
    for path in sorted(paths):
        found |= _extract(path, method_map, options_map)
    found |= {(context, message_id) for context, message_id in _extract(
        PROJECT_ROOT / "src" / "motpub" / "i18n.py", method_map, options_map)
        if context == i18n.NAME_CONTEXT}
    return found


def _extract(path: Path, method_map, options_map) -> set[MessageKey]:
    relative = path.relative_to(PROJECT_ROOT).as_posix()
    pattern, method = next((pattern, method) for pattern, method in method_map
                           if pathmatch(pattern, relative))
    return {(context, message if isinstance(message, str) else message[0])
            for _line, message, _comments, context in extract_from_file(
                method, str(path), keywords=KEYWORDS, options=options_map.get(pattern, {}))}


def read_catalog(locale: str) -> Catalog:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file)


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)[sd]", text))


# --- the catalogs --------------------------------------------------------------------------


def test_the_issues_catalogs_are_shipped():
    assert REQUIRED <= set(CATALOGS)


def test_visitor_words_are_found_in_templates_front_doors_and_language_names():
    words = visitor_messages()
    for key in [(None, "Links"), (None, "Page not found"),
                (None, "Back in a moment"), (None, "Choose a link"),
                (None, "Shown in %(language)s"), ("language", "en")]:
        assert key in words
    assert (None, "Log in to the studio") not in words  # a studio word


@pytest.mark.parametrize("locale", CATALOGS)
def test_every_catalog_translates_every_visitor_word(locale):
    catalog = read_catalog(locale)
    missing, fuzzy, wrong = [], [], []
    for context, message_id in sorted(visitor_messages(), key=str):
        message = catalog.get(message_id, context=context)
        forms = (message.string if isinstance(message.string, tuple) else (message.string,)
                 ) if message else ()
        if message is None or not all(forms):
            missing.append(message_id)
        elif message.fuzzy:
            fuzzy.append(message_id)
        elif message.pluralizable and len(forms) != catalog.num_plurals:
            wrong.append(message_id)
    assert missing == [], f"translate these visitor words in {locale}/LC_MESSAGES/messages.po"
    assert fuzzy == [], "check these translations and remove their fuzzy flag"
    assert wrong == [], f"these need {catalog.num_plurals} plural forms"


@pytest.mark.parametrize("locale", CATALOGS)
def test_every_translation_keeps_its_placeholders(locale):
    for message in read_catalog(locale):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            if text:
                # A plural form may drop the count (Chinese "一个" for 1) but adds nothing.
                assert set(_placeholders(text)) <= set(_placeholders(ids[-1])), (locale, ids)
        if not message.pluralizable:
            assert _placeholders(message.string) == _placeholders(message.id), (locale, ids)


@pytest.mark.parametrize("locale", CATALOGS)
def test_plural_forms_header_is_the_languages(locale):
    catalog = read_catalog(locale)
    expected = get_plural(locale)
    assert (catalog.num_plurals, catalog.plural_expr) == (expected.num_plurals,
                                                          expected.plural_expr)


@pytest.mark.parametrize("locale", CATALOGS)
def test_compiled_catalog_matches_the_po(locale):
    po = {message.id: message.string for message in read_catalog(locale)
          if message.id and message.string and not message.fuzzy}
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").open("rb") as file:
        mo = {message.id: message.string for message in read_mo(file) if message.id}
    assert mo == po, "messages.mo is stale: run scripts/translations compile"


def test_traditional_chinese_catalog_is_written_in_traditional_characters():
    to_traditional = opencc.OpenCC("s2tw")
    simplified = [message.string for message in read_catalog("zh_Hant")
                  if message.id and message.string
                  and to_traditional.convert(message.string) != message.string]
    assert simplified == []
    zh, zh_hant = read_catalog("zh"), read_catalog("zh_Hant")
    assert zh.get("Page not found").string != zh_hant.get("Page not found").string


# --- which catalog a language reads --------------------------------------------------------


@pytest.mark.parametrize(("language", "catalog"), [
    ("zh", "zh"), ("zh-CN", "zh"), ("zh-SG", "zh"), ("zh-Hans", "zh"),
    ("zh-Hant", "zh_Hant"), ("zh-TW", "zh_Hant"), ("zh-HK", "zh_Hant"), ("zh-MO", "zh_Hant"),
    ("ar", "ar"), ("ja", "ja"), ("th", "th"),
    ("en", None), ("en-GB", None), ("de", None), ("pt-BR", None),
])
def test_each_language_reads_its_own_scripts_catalog(language, catalog):
    assert i18n.catalog_name(language) == catalog


@pytest.fixture
def catalogs_of(tmp_path, monkeypatch):
    """A translations directory with a one-word catalog in each language given."""
    def make(*locales: str) -> None:
        for locale in locales:
            catalog = Catalog(locale=locale)
            catalog.add("Links", f"Links in {locale}")
            (tmp_path / locale / "LC_MESSAGES").mkdir(parents=True)
            with (tmp_path / locale / "LC_MESSAGES" / "messages.mo").open("wb") as file:
                write_mo(file, catalog)
        monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", tmp_path)
        i18n.catalog_name.cache_clear()
        i18n.translations.cache_clear()

    yield make
    monkeypatch.undo()
    i18n.catalog_name.cache_clear()
    i18n.translations.cache_clear()


def test_a_regional_language_reads_its_languages_catalog_in_the_same_script(catalogs_of):
    catalogs_of("pt", "zh", "sr")
    assert i18n.render("Links", "pt-BR") == "Links in pt"
    # Not across scripts: simplified Chinese for traditional, Cyrillic for Latin Serbian.
    assert i18n.catalog_name("zh-Hant") is None and i18n.render("Links", "zh-TW") == "Links"
    assert i18n.catalog_name("sr-Latn") is None and i18n.render("Links", "sr") == "Links in sr"


# --- pages ---------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path, database_url):
    return make_settings(tmp_path, database_url, languages=TEN)


@pytest.fixture
def gaps(api):
    """A published item in English only (whatever the chain, each field falls back to
    English), with a link."""
    return api.published_item_with_code(
        title={"en": "Bronze ding"}, summary={"en": "A ritual vessel."}, default_language="en",
        links=[{"url": "https://museum.example/ding", "title": {"en": "Collection notes"}}])


def fallback_markers(page: str) -> list[str]:
    return re.findall(r'<span class="fallback"[^>]*>([^<]*)</span>', page)


@pytest.mark.parametrize(("language", "links", "marked_language"), [
    ("ar", "روابط ذات صلة", "الإنجليزية"),
    ("zh-Hant", "相關連結", "英文"),
    ("th", "ลิงก์ที่เกี่ยวข้อง", "อังกฤษ"),
    ("ja", "関連リンク", "英語"),
])
def test_item_page_speaks_the_visitors_language(client, gaps, language, links,
                                                marked_language):
    item, code = gaps
    for url in (f"/s/{code}?lang={language}", f"/i/{item['slug']}?lang={language}"):
        page = client.get(url)
        assert page.status_code == 200 and page.headers["Content-Language"] == language
        assert f"<h2>{links}</h2>" in page.text and "<h2>Links</h2>" not in page.text
        markers = fallback_markers(page.text)
        assert markers and all(marked_language in marker for marker in markers), markers
        assert not any(re.search("[A-Za-z]", marker) for marker in markers), markers


def test_traditional_chinese_page_names_simplified_chinese_where_it_falls_back_to_it(api,
                                                                                   client):
    item, _code = api.published_item_with_code(title={"zh": "青铜鼎"})
    page = client.get(f"/i/{item['slug']}?lang=zh-Hant")
    assert '<html lang="zh-Hant">' in page.text and "青铜鼎" in page.text
    markers = fallback_markers(page.text)
    assert markers and all("簡體中文" in marker for marker in markers), markers


@pytest.mark.parametrize("language, heading", [
    ("zh-Hant", "找不到此頁面"), ("ar", "الصفحة غير موجودة"), ("th", "ไม่พบหน้านี้"),
    ("ja", "ページが見つかりません"), ("ru", "Страница не найдена")])
def test_not_found_page_says_it_in_each_catalogs_words(client, language, heading):
    page = client.get("/s/NOPE", headers={"Accept-Language": language})
    assert page.status_code == 404
    assert f"<h1 lang=\"{language}\"" in page.text and f">{heading}</h1>" in page.text
    assert "Page not found" not in page.text
    assert "未找到此页面" in page.text  # simplified Chinese, the deployment's first language


def test_empty_exhibition_and_error_pages_in_the_visitors_language(api, client, gaps):
    item, _code = gaps
    api.post("/exhibitions", json={"slug": "bronzes", "title": {"zh": "青铜时代"}})
    assert "ยังไม่มีเนื้อหาให้ชมในขณะนี้" in client.get("/x/bronzes?lang=th").text
    refused = client.post(f"/i/{item['slug']}?lang=ar")
    assert refused.status_code == 405
    assert '<html lang="ar" dir="rtl">' in refused.text and "تعذّر إتمام الطلب." in refused.text


def test_a_word_missing_from_a_catalog_reads_english_not_another_catalogs(client):
    # zh_Hant has the visitor words only: a studio page reads English, never simplified.
    page = client.get("/studio/login?lang=zh-Hant")
    assert '<html lang="zh-Hant">' in page.text
    assert "Log in to the studio" in page.text and "登录" not in page.text


class TestALanguageWithoutACatalog:
    @pytest.fixture
    def settings(self, tmp_path, database_url):
        return make_settings(tmp_path, database_url, languages=("zh", "en", "de"))

    def test_reads_english(self, client, gaps):
        item, code = gaps
        for url in (f"/s/{code}?lang=de", f"/i/{item['slug']}?lang=de"):
            page = client.get(url)
            assert '<html lang="de">' in page.text and "<h2>Links</h2>" in page.text
        not_found = client.get("/s/NOPE", headers={"Accept-Language": "de"})
        assert not_found.text.count("Page not found") == 1
        assert '<h1 lang="en">Page not found</h1>' in not_found.text
        refused = client.post(f"/i/{item['slug']}?lang=de")
        assert "The request could not be completed." in refused.text
