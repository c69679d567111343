"""CSV import and export of items in a deployment of ten content languages: a column per
field and language (title_zh and title_en keep their names), UTF-8 with a byte order mark for
Excel, right-to-left text kept exactly, and a column in an unknown language refused by name."""

from __future__ import annotations

import csv
import io

import pytest

from tests.support import csrf_token, login, make_settings

TEN = ("zh", "zh-Hant", "en", "ru", "ar", "th", "fr", "es", "ja", "ko")
TITLES = {"zh": "青铜鼎", "zh-Hant": "青銅鼎", "en": "Bronze ding", "ru": "Бронзовый котёл",
          "ar": "قدر برونزي", "th": "หม้อสำริด", "fr": "Chaudron en bronze",
          "es": "Caldero de bronce", "ja": "青銅の鼎", "ko": "청동 솥"}
# Arabic with an embedded Latin name, digits and explicit right-to-left marks, over two lines.
ARABIC_SUMMARY = "\u200fإناء من عهد أسرة Shang، حوالي 1200 ق.م\n\u202bالطول: 42 سم\u202c"
CONTENT = ("slug", "status", "default_language", "title", "summary", "body", "links")
ARABIC_LINK = "\u200fالمتحف (Museum)"


@pytest.fixture
def settings(tmp_path, database_url):
    return make_settings(tmp_path, database_url, languages=TEN)


def header() -> list[str]:
    return ["slug", "status", "default_language",
            *(f"{field}_{lang}" for field in ("title", "summary", "body") for lang in TEN),
            "links"]


def csv_bytes(rows: list[dict], columns: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode()


def test_items_go_out_and_come_back_in_ten_languages(api):
    row = {"slug": "ding", "status": "published", "default_language": "ar",
           **{f"title_{lang}": title for lang, title in TITLES.items()},
           "summary_ar": ARABIC_SUMMARY, "body_th": "## หม้อ\n\nสำริด **ราชวงศ์ซาง**",
           "summary_zh-Hant": "商代炊器", "links": "https://museum.example/ding | 鼎 | 鼎 | Ding | "
                                                   f"Котёл | {ARABIC_LINK}"}
    imported = api.post("/items/import", data={"file": (io.BytesIO(csv_bytes([row], header())),
                                                       "items.csv")})
    assert imported.status_code == 200, imported.get_json()
    [item_id] = imported.get_json()["created"]
    item = api.get(f"/items/{item_id}").get_json()
    assert item["title"] == TITLES and item["default_language"] == "ar"
    assert item["summary"] == {"zh-Hant": "商代炊器", "ar": ARABIC_SUMMARY}
    assert item["body"] == {"th": "## หม้อ\n\nสำริด **ราชวงศ์ซาง**"}
    assert item["links"] == [{"url": "https://museum.example/ding", "title": {
        "zh": "鼎", "zh-Hant": "鼎", "en": "Ding", "ru": "Котёл", "ar": ARABIC_LINK}}]

    exported = api.get("/items/export.csv")
    assert exported.mimetype == "text/csv" and exported.data.startswith(b"\xef\xbb\xbf")
    text = exported.data.decode("utf-8-sig")  # as Excel reads a file with a BOM
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == header()
    assert table[0][3:5] == ["title_zh", "title_zh-Hant"] and "title_en" in table[0]
    out = dict(zip(table[0], table[1], strict=True))
    assert out["summary_ar"] == ARABIC_SUMMARY and out["title_ar"] == TITLES["ar"]
    assert out["links"] == (f"https://museum.example/ding | 鼎 | 鼎 | Ding | Котёл | "
                            f"{ARABIC_LINK} |  |  |  |  | ")

    # Its own export imported again changes nothing, and exports the same bytes.
    again = api.post("/items/import", data=exported.data, content_type="text/csv")
    assert again.status_code == 200 and again.get_json()["updated"] == [item_id]
    kept = api.get(f"/items/{item_id}").get_json()
    assert {key: kept[key] for key in CONTENT} == {key: item[key] for key in CONTENT}
    assert api.get("/items/export.csv").data == exported.data


def test_a_column_in_an_unknown_language_is_refused_by_name(api):
    api.create_item(slug="kept", title={"en": "Kept"})
    columns = ["slug", "title_zh", "title_de", "summary_pt-BR", "title_zh-hant", "title_ar"]
    body = csv_bytes([{"slug": "new", "title_zh": "新", "title_de": "Neu",
                       "summary_pt-BR": "Novo", "title_zh-hant": "新", "title_ar": "جديد"}],
                     columns)
    response = api.post("/items/import", data=body, content_type="text/csv")
    assert response.status_code == 422
    error = response.get_json()["error"]
    message = error["message"]
    assert message.startswith("title_de, summary_pt-BR, title_zh-hant: not a column of a "
                              "content language")
    assert ", ".join(TEN) in message and "title_zh-Hant" in message
    assert "title_ar" not in message.split(":")[0]
    assert [item["slug"] for item in api.get("/items").get_json()["items"]] == ["kept"]


def test_the_studio_import_names_the_unknown_language_columns(api, client):
    login(client, "editor@example.org")
    page = client.get("/studio/", headers={"Accept-Language": "en"})
    body = csv_bytes([{"slug": "x", "title_en": "X", "title_he": "איקס"}],
                     ["slug", "title_en", "title_he"])
    answer = client.post("/studio/items/import", headers={"Accept-Language": "en"}, data={
        "csrf_token": csrf_token(page.text), "file": (io.BytesIO(body), "items.csv")})
    assert answer.status_code == 422
    assert "title_he: not a column of a content language" in answer.text
    assert api.get("/items").get_json()["items"] == []


def test_a_link_with_more_titles_than_languages_is_a_row_problem(api):
    titles = " | ".join(TITLES.values())
    body = csv_bytes([{"slug": "ding", "title_en": "Ding",
                       "links": f"https://museum.example/ | {titles}\n"
                                f"https://museum.example/more | {titles} | extra"}],
                     ["slug", "title_en", "links"])
    response = api.post("/items/import", data=body, content_type="text/csv")
    assert response.status_code == 422
    [problem] = response.get_json()["error"]["rows"]
    assert problem["row"] == 2
    assert problem["message"] == ("links: line 2 has more titles than there are content "
                                  f"languages ({', '.join(TEN)})")
