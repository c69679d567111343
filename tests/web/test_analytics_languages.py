"""Analytics by language in a deployment of ten content languages: the language each visitor
asked for is kept next to the language served (never the raw header), rolled up, and
reported as a table "asked -> served" in the API, its CSV and the ops dashboard, on SQLite
and PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select, update

from motpub.codes.models.code import Code
from motpub.analytics.models.rollup import VisitRollup
from motpub.analytics.models.scan import Scan, View
from motpub.analytics.services.reports import is_fallback
from motpub.i18n import LanguageSource
from motpub.web.pages import asked_tag
from tests.factories import ANDROID, Api, at, bring_to
from tests.support import login, make_settings

TEN = ("zh", "zh-Hant", "en", "ru", "ar", "th", "fr", "es", "ja", "ko")
TITLE = {"zh": "青铜鼎", "en": "Bronze ding", "ar": "قدر برونزي", "fr": "Chaudron en bronze",
         "ja": "青銅の鼎", "ru": "Бронзовый котёл"}
COOKIE_DOMAIN = "localhost"
MAY18 = {"from": "2026-05-18", "to": "2026-05-18"}


@pytest.fixture
def settings(tmp_path, database_url):
    return make_settings(tmp_path, database_url, languages=TEN)


def test_the_asked_language_is_a_short_canonical_tag_or_nothing():
    assert asked_tag("de") == "de"
    assert asked_tag("DE-de") == "de-DE"
    assert asked_tag("zh_tw") == "zh-TW"
    assert asked_tag("zh-hant-TW") == "zh-Hant"  # zh-Hant-TW is 10 characters
    assert asked_tag("es-419") == "es-419"
    assert asked_tag("en-US-x-private") == "en-US"
    assert asked_tag("sr-Latn-RS") == "sr-Latn"
    for nothing in (None, "", "*", "english", "1234", "<script>", "d"):
        assert asked_tag(nothing) is None


def test_a_fallback_is_another_language_or_another_script_of_it():
    assert not is_fallback(None, "en")  # nothing asked: the item's default
    assert not is_fallback("fr-CA", "fr") and not is_fallback("pt-BR", "pt")
    assert not is_fallback("zh-TW", "zh-Hant") and not is_fallback("zh-CN", "zh")
    assert not is_fallback("zh-Hans", "zh") and not is_fallback("ar-EG", "ar")
    assert is_fallback("zh-TW", "zh") and is_fallback("zh-Hant", "zh")
    assert is_fallback("de-DE", "en") and is_fallback("tlh", "en")


def visit(client, path: str, **headers: str):
    page = client.get(path, headers={"User-Agent": ANDROID, **headers},
                      environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert page.status_code == 200, page.status_code
    # Each visit is of a new visitor: no language remembered from the last one's ?lang=.
    client.delete_cookie("motpub_lang", domain=COOKIE_DOMAIN)
    return page


@pytest.mark.parametrize("stage", ["raw", "rolled up"])
def test_each_visit_keeps_the_language_asked_next_to_the_one_served(app, client, api,
                                                                     analyst_token, stage):
    item, code = api.published_item_with_code(title=TITLE, default_language="en")
    visit(client, f"/s/{code}")  # asks for nothing: English, the item's default
    visit(client, f"/s/{code}?lang=ar")
    visit(client, f"/s/{code}?lang=ar")
    visit(client, f"/s/{code}", **{"Accept-Language": "fr-CA,fr;q=0.8"})
    visit(client, f"/s/{code}", **{"Accept-Language": "de-DE,de;q=0.9,*;q=0.1"})
    visit(client, f"/s/{code}", **{"Accept-Language": "en;q=0.2, ko;q=0.9"})
    client.set_cookie("motpub_lang", "ja", domain=COOKIE_DOMAIN)
    visit(client, f"/i/{item['slug']}")
    visit(client, f"/i/{item['slug']}?lang=de", **{"Accept-Language": "ru"})
    runtime = app.extensions["motpub"]
    runtime.scan_recorder.flush()
    with runtime.session_factory() as session, session.begin():
        stored = session.execute(select(Scan.asked_language, Scan.language)
                                 .order_by(Scan.id)).all()
        assert [tuple(row) for row in stored] == [
            (None, "en"), ("ar", "ar"), ("ar", "ar"), ("fr-CA", "fr"), ("de-DE", "en"),
            ("ko", "ko")]
        viewed = session.execute(select(View.asked_language, View.language)
                                 .order_by(View.id)).all()
        # ?lang=de is what the visitor asked for, though de is not configured.
        assert [tuple(row) for row in viewed] == [("ja", "ja"), ("de", "ru")]
        session.execute(update(Scan).values(scanned_at=at(18, 10)))
        session.execute(update(View).values(viewed_at=at(18, 11)))
    bring_to(app, stage)
    if stage == "rolled up":
        with runtime.session_factory() as session:
            rolled = session.execute(select(VisitRollup.asked_language, VisitRollup.language,
                                            VisitRollup.scans, VisitRollup.views)).all()
        assert ("ar", "ar", 2, 0) in [tuple(row) for row in rolled]
        assert ("de", "ru", 0, 1) in [tuple(row) for row in rolled]

    analyst = Api(client, analyst_token)
    answer = analyst.get("/analytics/languages", query_string=MAY18)
    assert answer.status_code == 200, answer.get_json()
    rows = answer.get_json()["rows"]
    assert rows[0] == {"asked": "ar", "served": "ar", "scans": 2, "views": 0,
                       "is_fallback": False}
    assert {(row["asked"], row["served"]): (row["scans"], row["views"], row["is_fallback"])
            for row in rows} == {
        ("ar", "ar"): (2, 0, False), (None, "en"): (1, 0, False),
        ("fr-CA", "fr"): (1, 0, False), ("de-DE", "en"): (1, 0, True),
        ("ko", "ko"): (1, 0, False), ("ja", "ja"): (0, 1, False), ("de", "ru"): (0, 1, True)}

    # Filtered by the language served, and by a code (views are not through any code).
    russian = analyst.get("/analytics/languages", query_string={**MAY18, "language": "ru"})
    assert russian.get_json()["rows"] == [{"asked": "de", "served": "ru", "scans": 0,
                                           "views": 1, "is_fallback": True}]
    of_code = analyst.get("/analytics/languages", query_string={**MAY18, "code": code})
    assert sum(row["views"] for row in of_code.get_json()["rows"]) == 0
    assert sum(row["scans"] for row in of_code.get_json()["rows"]) == 6

    exported = analyst.get("/analytics/export.csv",
                           query_string={**MAY18, "view": "languages"})
    assert exported.status_code == 200 and exported.text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert list(table[0]) == ["asked", "served", "scans", "views", "is_fallback"]
    assert {"asked": "de-DE", "served": "en", "scans": "1", "views": "0",
            "is_fallback": "True"} in table

    login(client, "analyst@example.org")
    dashboard = client.get("/ops/", query_string=MAY18, headers={"Accept-Language": "en"})
    assert dashboard.status_code == 200
    section = dashboard.text.split('id="languages-asked"')[1].split("</section>")[0]
    assert "Languages asked for and served" in section
    assert '<tr class="fallback">' in section and "Not stated" in section
    assert "العربية (ar)" in section and "de-DE" in section
    assert "view=languages" in section


def test_figures_filter_and_break_down_by_every_configured_language(app, client, api,
                                                                     analyst_token):
    item, code = api.published_item_with_code(title=TITLE)
    recorder = app.extensions["motpub"].scan_recorder
    with app.extensions["motpub"].session_factory() as session:
        code_id = session.scalar(select(Code.id).where(Code.code == code))
    for lang in TEN:  # as the scan page records them
        recorder.record_scan(code_id=code_id, item_id=item["id"], language=lang,
                             language_source=LanguageSource.PARAM, asked_language=lang,
                             user_agent=ANDROID, ip="10.0.0.6")
    analyst = Api(client, analyst_token)
    today = {"tz": "UTC"}
    by_language = analyst.get("/analytics/breakdown", query_string={**today, "by": "language"})
    assert {row["key"] for row in by_language.get_json()["rows"]} == set(TEN)
    for lang in TEN:
        summary = analyst.get("/analytics/summary", query_string={**today, "language": lang})
        assert summary.status_code == 200 and summary.get_json()["scans"] == 1, lang
    for unknown in ("de", "zh-TW", "ZH-HANT"):
        refused = analyst.get("/analytics/summary", query_string={"language": unknown})
        assert refused.status_code == 422
        assert refused.get_json()["error"]["field"] == "language"
        assert ", ".join(TEN) in refused.get_json()["error"]["message"]
    refused = analyst.get("/analytics/languages", query_string={"language": "de"})
    assert refused.status_code == 422 and ", ".join(TEN) in refused.get_json()["error"]["message"]

    login(client, "analyst@example.org")
    dashboard = client.get("/ops/", headers={"Accept-Language": "en"})
    for lang in TEN:
        assert f'<option value="{lang}"' in dashboard.text


def test_the_openapi_document_lists_the_ten_languages_for_the_analytics_filters(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path in ("/analytics/summary", "/analytics/breakdown", "/analytics/languages",
                 "/analytics/export.csv"):
        parameters = {parameter["name"]: parameter
                      for parameter in document["paths"][path]["get"]["parameters"]}
        assert parameters["language"]["schema"]["enum"] == list(TEN), path
    rows = document["paths"]["/analytics/languages"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["properties"]["rows"]["items"]["properties"]
    assert rows["served"]["enum"] == list(TEN)
    assert set(rows) == {"asked", "served", "scans", "views", "is_fallback"}
    export = {parameter["name"]: parameter for parameter in
              document["paths"]["/analytics/export.csv"]["get"]["parameters"]}
    assert "languages" in export["view"]["schema"]["enum"]
