from __future__ import annotations

import csv
import io

from tests.factories import Api

HEADER = ("slug,status,default_language,title_zh,title_en,summary_zh,summary_en,body_zh,body_en,"
          "links")


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_import_creates_items_from_bilingual_columns(api):
    body = (HEADER + "\r\n"
            'ding,published,zh,青铜鼎,Bronze ding,炊器,"A vessel, for cooking",**正文**,Body,'
            '"https://example.org/ding | 鼎 | Ding"\r\n'
            ",,,,Jade cong,,,,,\r\n")
    response = api.post("/items/import", data=body.encode(), content_type="text/csv")
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["created"]) == 2
    items = {item["slug"]: item for item in api.get("/items").get_json()["items"]}
    ding = items["ding"]
    assert ding["status"] == "published" and ding["title"] == {"zh": "青铜鼎", "en": "Bronze ding"}
    assert ding["summary"]["en"] == "A vessel, for cooking" and ding["body"]["zh"] == "**正文**"
    assert ding["links"] == [{"url": "https://example.org/ding",
                              "title": {"zh": "鼎", "en": "Ding"}}]
    assert items["jade-cong"]["status"] == "draft"
    assert items["jade-cong"]["default_language"] == "en"


def test_one_bad_row_rejects_the_file_with_row_numbers_and_reasons(api):
    api.create_item(slug="kept")
    body = (HEADER + "\n"
            "good,,,好,Good,,,,,\n"
            "Bad Slug!,,,坏,Bad,,,,,\n"
            "no-title,,,,,,,,,\n"
            "good,,fr,重复,Again,,,,,\n"
            "odd,maybe,,怪,Odd,,,,,\n")
    response = api.post("/items/import", data=body.encode(), content_type="text/csv")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert "nothing was imported" in error["message"]
    reasons = {row["row"]: row["message"] for row in error["rows"]}
    assert set(reasons) == {3, 4, 5, 6}
    assert "slug" in reasons[3] and "title" in reasons[4]
    assert "default_language" in reasons[5] and "row 2" in reasons[5]
    assert "status" in reasons[6]
    assert [item["slug"] for item in api.get("/items").get_json()["items"]] == ["kept"]


def test_export_then_import_round_trips_exactly(api):
    api.create_item(slug="ding", summary={"zh": "多行\n摘要", "en": 'Quotes "and", commas'},
                    links=[{"url": "https://example.org/a", "title": {"en": "A"}}])
    api.create_item(slug="jade", title={"en": "Jade"}, default_language="en")
    first = api.get("/items/export.csv")
    assert first.mimetype == "text/csv" and first.data.startswith("\ufeff".encode())
    assert first.text.removeprefix("\ufeff").splitlines()[0] == HEADER
    # Importing the export changes no content, and exporting again gives the same file.
    response = api.post("/items/import", data={"file": (io.BytesIO(first.data), "items.csv")},
                        content_type="multipart/form-data")
    assert response.status_code == 200
    assert response.get_json()["created"] == [] and len(response.get_json()["updated"]) == 2
    assert api.get("/items/export.csv").data == first.data
    assert rows_of(first.text)[0]["summary_zh"] == "多行\n摘要"


FORMULAS = ["=HYPERLINK(\"https://evil.example\",\"x\")", "+1+2", "-2+3", "@SUM(A1)",
            "\tTabbed", "'=already quoted", "''+twice"]


def test_export_quotes_cells_a_spreadsheet_would_run_as_formulas(api):
    api.create_item(slug="formula", title={"zh": FORMULAS[0], "en": "@SUM(1+1)*cmd|' /C calc'!A0"},
                    summary={"zh": "- 列表", "en": "'=already quoted"})
    row = rows_of(api.get("/items/export.csv").text)[0]
    assert row["title_zh"] == "'" + FORMULAS[0]
    assert row["title_en"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert row["summary_zh"] == "'- 列表" and row["summary_en"] == "''=already quoted"
    assert row["slug"] == "formula" and row["body_zh"] == ""


def test_import_of_its_own_export_gives_back_formula_like_text_exactly(api):
    created = [api.create_item(slug=f"f{number}", title={"zh": text, "en": f"Plain {number}"},
                               summary={"en": text})
               for number, text in enumerate(FORMULAS)]
    exported = api.get("/items/export.csv")
    for item in created:
        api.patch(f"/items/{item['id']}", json={"title": {"zh": "改", "en": "Changed"},
                                                "summary": {"en": "changed"}})
    response = api.post("/items/import", data=exported.data, content_type="text/csv")
    assert response.status_code == 200, response.get_json()
    for item in created:
        now = api.get(f"/items/{item['id']}").get_json()
        assert now["title"] == item["title"] and now["summary"] == item["summary"]
    assert created[0]["title"]["zh"] == FORMULAS[0]
    assert api.get("/items/export.csv").data == exported.data


def test_import_into_an_empty_database_recreates_the_items(client, api, admin_token):
    api.create_item(slug="ding", body={"zh": "正文", "en": "Body"})
    exported = api.get("/items/export.csv").data
    rows = rows_of(exported.decode("utf-8-sig"))
    rows[0]["slug"] = "ding-copy"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    admin = Api(client, admin_token)
    assert admin.post("/items/import", data=buffer.getvalue().encode(),
                      content_type="text/csv").status_code == 200
    copy = next(item for item in admin.get("/items").get_json()["items"]
                if item["slug"] == "ding-copy")
    assert copy["body"] == {"zh": "正文", "en": "Body"}


def test_malformed_csv_is_400(api):
    for body in (b"", b"name,colour\nx,y\n", "slug,title_zh\n坏".encode("gb18030")):
        response = api.post("/items/import", data=body, content_type="text/csv")
        assert response.status_code == 400, body


def test_batch_creates_codes_for_each_item_in_order(api):
    first, second = api.create_item()["id"], api.create_item()["id"]
    response = api.post("/codes/batch", json={"item_ids": [second, first], "count": 2,
                                              "label": "Hall 3"})
    assert response.status_code == 201
    codes = response.get_json()["codes"]
    assert [code["item_id"] for code in codes] == [second, second, first, first]
    assert len({code["code"] for code in codes}) == 4
    assert all(code["label"] == "Hall 3" for code in codes)


def test_batch_with_an_unknown_item_creates_nothing(api):
    item = api.create_item()["id"]
    response = api.post("/codes/batch", json={"item_ids": [item, 999]})
    assert response.status_code == 422 and "999" in response.get_json()["error"]["message"]
    assert api.get(f"/items/{item}/codes").get_json()["codes"] == []
    assert api.post("/codes/batch", json={"item_ids": [item], "count": 51}).status_code == 422


def test_batch_of_more_than_1000_codes_in_all_is_422_and_creates_nothing(api):
    item = api.create_item()["id"]
    response = api.post("/codes/batch", json={"item_ids": [item] * 21, "count": 50})
    assert response.status_code == 422
    assert "1000" in response.get_json()["error"]["message"]
    assert api.get(f"/items/{item}/codes").get_json()["codes"] == []
    response = api.post("/codes/batch", json={"item_ids": [item] * 20, "count": 50})
    assert response.status_code == 201 and len(response.get_json()["codes"]) == 1000


def test_bulk_routes_need_an_editor(client, analyst_token):
    analyst = Api(client, analyst_token)
    assert analyst.get("/items/export.csv").status_code == 403
    assert analyst.post("/items/import", data=b"slug\n", content_type="text/csv") \
        .status_code == 403
    assert analyst.post("/codes/batch", json={"item_ids": [1]}).status_code == 403
