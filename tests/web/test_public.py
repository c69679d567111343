from __future__ import annotations

import re

import pytest

from motpub.i18n import LanguageSource
from motpub.analytics.models.scan import Scan


def scans(app) -> list[Scan]:
    runtime = app.extensions["motpub"]
    runtime.scan_recorder.flush()
    with runtime.session_factory() as session:
        return list(session.query(Scan).order_by(Scan.id))


def test_scan_of_published_item_serves_page_in_one_round_trip_and_records_it(app, api, client):
    item, code = api.published_item_with_code()
    response = client.get(f"/s/{code}", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert response.status_code == 200
    assert "Bronze ding" in response.text
    assert response.headers["Content-Language"] == "en"
    assert response.headers["Vary"] == "Accept-Language, Cookie"
    recorded = scans(app)
    assert [(s.item_id, s.language, s.language_source) for s in recorded] == [
        (item["id"], "en", LanguageSource.HEADER)]


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected", "source"),
    [
        ("?lang=en", "zh", "zh-CN", "en", LanguageSource.PARAM),
        ("", "en", "zh-CN,zh;q=0.9", "en", LanguageSource.COOKIE),
        ("", None, "fr-FR, en;q=0.5, zh-Hans;q=0.8", "zh", LanguageSource.HEADER),
        ("", None, "zh-SG", "zh", LanguageSource.HEADER),
        ("", None, "en;q=0.9, zh;q=0", "en", LanguageSource.HEADER),
        ("", None, "fr, de", "zh", LanguageSource.DEFAULT),
        ("?lang=xx", None, "", "zh", LanguageSource.DEFAULT),
    ],
)
def test_language_is_param_then_cookie_then_header_then_default(
    app, api, client, query, cookie, accept, expected, source
):
    _item, code = api.published_item_with_code()
    if cookie:
        client.set_cookie("motpub_lang", cookie, domain="localhost")
    response = client.get(f"/s/{code}{query}", headers={"Accept-Language": accept})
    assert response.headers["Content-Language"] == expected
    assert f'<html lang="{expected}">' in response.text
    assert scans(app)[-1].language_source is source


def test_language_param_sets_the_cookie_that_later_pages_follow(api, client):
    item, code = api.published_item_with_code()
    response = client.get(f"/i/{item['slug']}?lang=en")
    assert "motpub_lang=en" in response.headers["Set-Cookie"]
    again = client.get(f"/s/{code}", headers={"Accept-Language": "zh-CN"})
    assert again.headers["Content-Language"] == "en"


def test_missing_translation_falls_back_field_by_field_with_a_visible_marker(api, client):
    _item, code = api.published_item_with_code(
        title={"zh": "青铜鼎", "en": "Bronze ding"}, summary={"zh": "商代晚期的礼器"})
    page = client.get(f"/s/{code}?lang=en").text
    assert "Bronze ding" in page
    assert '<span lang="zh">商代晚期的礼器</span>' in page
    assert 'class="fallback"' in page and "Shown in Chinese" in page


def test_item_page_is_a_view_and_records_no_scan(app, api, client):
    item, _code = api.published_item_with_code()
    assert client.get(f"/i/{item['slug']}").status_code == 200
    assert scans(app) == []


@pytest.mark.parametrize("path", ["/s/nocode23", "/i/no-such-item", "/s/" + "x" * 300])
def test_unknown_code_or_slug_answers_bilingual_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "未找到" in response.text and "Page not found" in response.text


def test_unpublished_item_and_disabled_code_answer_404_revealing_nothing(app, api, client):
    item, code = api.published_item_with_code()
    api.post(f"/items/{item['id']}/unpublish")
    response = client.get(f"/s/{code}")
    assert response.status_code == 404
    assert "Bronze" not in response.text and "青铜" not in response.text
    assert client.get(f"/i/{item['slug']}").status_code == 404
    assert [scan.is_orphan for scan in scans(app)] == [True]  # counted apart, as an orphan


def test_edited_item_is_served_fresh_not_from_the_page_cache(api, client):
    item, code = api.published_item_with_code()
    assert "Bronze ding" in client.get(f"/s/{code}?lang=en").text
    api.patch(f"/items/{item['id']}", json={"title": {"en": "Bronze tripod"}})
    assert "Bronze tripod" in client.get(f"/s/{code}?lang=en").text


def test_public_page_has_strict_csp_and_fits_the_byte_budget(api, client):
    _item, code = api.published_item_with_code(body={"en": "word " * 500})
    response = client.get(f"/s/{code}")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert "style-src 'sha256-" in csp
    assert len(response.data) < 50_000
    scripts = re.findall(r"<script[^>]*>", response.text)
    assert scripts and all(re.fullmatch(r'<script src="/static/[a-z.]+" defer>', tag)
                           for tag in scripts), scripts
    # No inline code: every script element is empty.
    assert not re.search(r"<script[^>]*>[^<]+</script>", response.text)


def test_markdown_is_sanitized_on_the_page(api, client):
    body = ('# Intro\n\n<script>alert(1)</script><img src=x onerror="alert(2)">'
            '\n\n[bad](javascript:alert(3)) <a href="javascript:alert(4)">x</a> [ok](https://ok.example)')
    _item, code = api.published_item_with_code(body={"en": body})
    page = client.get(f"/s/{code}?lang=en").text
    assert "<script>alert" not in page and "onerror" not in page
    article = page.split("<article", 1)[1]
    assert "javascript:" not in article.replace("[bad](javascript:alert(3))", "")
    assert '<a href="https://ok.example" rel="noopener noreferrer nofollow">ok</a>' in page
    assert "<h2>Intro</h2>" in page


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
