"""Label sheets in the languages an editor picks, in a deployment of seven languages in five
scripts: every script drawn in its own font, every code still decoding."""

from __future__ import annotations

import re
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.factories import run_jobs
from tests.support import login, make_settings
from tests.web.test_api_labels import decode_labels, expected_urls

LANGUAGES = ("zh", "zh-Hant", "ar", "th", "hi", "ru", "en")
TITLES = [
    {"zh": "商代晚期饕餮纹青铜方鼎", "zh-Hant": "商代晚期饕餮紋青銅方鼎",
     "ar": "مربع برونزي بقناع تاوتيه، أواخر عهد أسرة شانغ",
     "th": "ติ่งสำริดทรงสี่เหลี่ยมลายเทาเที่ย ปลายราชวงศ์ซาง",
     "hi": "ताओती मुखौटे वाला चौकोर कांस्य डिंग", "ru": "Квадратный бронзовый дин",
     "en": "Square bronze ding with taotie mask"},
    {"zh": "玉琮", "zh-Hant": "玉琮", "ar": "يشم تسونغ", "th": "หยกฉง", "hi": "जेड त्सोंग",
     "ru": "Нефритовый цун", "en": "Jade cong"},
]
FACES = {"zh": "NotoSansCJKSC", "zh-Hant": "NotoSansCJKTC", "ar": "NotoSansArabic",
         "th": "NotoSansThai", "hi": "NotoSansDevanagari", "ru": "NotoSans", "en": "NotoSans"}


@pytest.fixture
def settings(tmp_path, database_url):
    return make_settings(tmp_path, database_url, languages=LANGUAGES)


@pytest.fixture
def exhibition(api) -> dict:
    ids = [api.create_item(slug=f"piece-{n}", title=title)["id"]
           for n, title in enumerate(TITLES)]
    created = api.post("/exhibitions", json={
        "slug": "bronzes", "title": {"zh": "青铜时代", "ar": "العصر البرونزي",
                                     "en": "The Bronze Age"}}).get_json()
    assert api.put(f"/exhibitions/{created['id']}/items",
                   json={"item_ids": ids}).status_code == 200
    api.post(f"/exhibitions/{created['id']}/codes", json={"label": "Entrance"})
    assert api.post("/codes/batch", json={"item_ids": ids, "count": 4}).status_code == 201
    return api.get(f"/exhibitions/{created['id']}").get_json()


def fonts(pdf) -> dict[str, list[str]]:
    """Each embedded font's name without its subset tag, with its emb, sub and uni flags."""
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    return {line.split()[0].partition("+")[2]: line.split()[-5:-2] for line in lines}


def text_of(pdf) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.parametrize("template", ["a4-8", "a4-21"])
def test_a_sheet_in_seven_languages_has_every_script_font_and_every_code_decodes(
        api, exhibition, tmp_path, template):
    response = api.get(f"/exhibitions/{exhibition['id']}/labels.pdf?template={template}"
                       f"&languages={','.join(LANGUAGES)}")
    assert response.status_code == 200, response.get_json()
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(response.data)
    embedded = fonts(pdf)
    assert set(embedded) == set(FACES.values())
    assert all(flags == ["yes", "yes", "yes"] for flags in embedded.values())
    urls = expected_urls(api, exhibition)
    assert len(urls) == 9
    assert decode_labels(pdf, tmp_path, template) == urls
    text = text_of(pdf)
    for title in ("玉琮", "Нефритовый", "Jade cong"):
        assert title in text


def test_a_sheet_prints_the_first_two_configured_languages_by_default(api, exhibition,
                                                                      tmp_path):
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(api.get(f"/exhibitions/{exhibition['id']}/labels.pdf").data)
    assert set(fonts(pdf)) == {"NotoSansCJKSC", "NotoSansCJKTC", "NotoSans"}
    assert "Jade cong" not in text_of(pdf)


@pytest.mark.parametrize("query", ["languages=ar,en", "languages=ar&languages=en",
                                   "languages=AR,%20en"])
def test_a_sheet_prints_the_languages_asked_for(api, exhibition, tmp_path, query):
    response = api.get(f"/exhibitions/{exhibition['id']}/labels.pdf?{query}")
    assert response.status_code == 200
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(response.data)
    assert set(fonts(pdf)) == {"NotoSansArabic", "NotoSans"}
    assert "Jade cong" in text_of(pdf)


@pytest.mark.parametrize("languages", ["xx", "fr", "en,fr", "zh-Hans"])
def test_a_language_not_configured_is_a_422_naming_the_configured_ones(api, exhibition,
                                                                       languages):
    response = api.get(f"/exhibitions/{exhibition['id']}/labels.pdf?languages={languages}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["field"] == "languages"
    assert "zh, zh-Hant, ar, th, hi, ru, en" in error["message"]


def test_a_worker_builds_a_large_sheet_in_the_languages_asked_for(app, api, exhibition,
                                                                  tmp_path):
    runtime = app.extensions["motpub"]
    runtime.settings = runtime.settings.replace(max_direct_labels=5)
    path = f"/exhibitions/{exhibition['id']}/labels.pdf?template=a4-21&languages=ar,th"
    response = api.get(path)
    assert response.status_code == 202
    job = response.get_json()
    assert job["languages"] == ["ar", "th"] and job["label_count"] == 9
    # The same sheet asked again is the same job; other languages are another sheet.
    assert api.get(path).get_json()["id"] == job["id"]
    other = api.get(f"/exhibitions/{exhibition['id']}/labels.pdf?template=a4-21").get_json()
    assert other["id"] != job["id"] and other["languages"] == ["zh", "zh-Hant"]

    assert run_jobs(app) == ["succeeded", "skipped", "succeeded"]
    done = api.get(f"/label-jobs/{job['id']}").get_json()
    assert done["status"] == "succeeded" and done["languages"] == ["ar", "th"]
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(api.get(done["pdf_url"].removeprefix("/api/v1")).data)
    assert set(fonts(pdf)) == {"NotoSansArabic", "NotoSansThai", "NotoSans"}
    assert decode_labels(pdf, tmp_path, "a4-21") == expected_urls(api, exhibition)


def test_studio_offers_the_configured_languages_and_passes_the_choice_on(client, exhibition):
    assert login(client, "editor@example.org").status_code == 302
    page = client.get(f"/studio/exhibitions/{exhibition['id']}").text
    boxes = re.findall(r'<input type="checkbox" name="languages" value="([^"]+)"( checked)?',
                       page)
    assert boxes == [("zh", " checked"), ("zh-Hant", " checked"), *[
        (lang, "") for lang in LANGUAGES[2:]]]
    picked = client.get(f"/studio/exhibitions/{exhibition['id']}/labels/a4-21"
                        "?languages=ar&languages=th")
    assert picked.status_code == 302
    location = urlsplit(picked.headers["Location"])
    assert location.path == f"/api/v1/exhibitions/{exhibition['id']}/labels.pdf"
    assert parse_qs(location.query) == {"template": ["a4-21"], "languages": ["ar,th"]}
    assert client.get(picked.headers["Location"]).mimetype == "application/pdf"

    refused = client.get(f"/studio/exhibitions/{exhibition['id']}/labels/a4-21"
                         "?languages=fr", headers={"Accept-Language": "zh-CN"})
    assert refused.status_code == 302
    assert refused.headers["Location"].endswith(f"/studio/exhibitions/{exhibition['id']}")
    shown = client.get(refused.headers["Location"], headers={"Accept-Language": "zh-CN"}).text
    assert "请从以下语言中选择标签的语言：zh, zh-Hant, ar, th, hi, ru, en。" in shown


def test_studio_shows_a_large_sheets_languages_while_a_worker_builds_it(app, client,
                                                                        exhibition):
    runtime = app.extensions["motpub"]
    runtime.settings = runtime.settings.replace(max_direct_labels=5)
    assert login(client, "editor@example.org").status_code == 302
    queued = client.get(f"/studio/exhibitions/{exhibition['id']}/labels/a4-8"
                        "?languages=hi&languages=en")
    assert "/studio/label-jobs/" in queued.headers["Location"]
    page = client.get(queued.headers["Location"], headers={"Accept-Language": "en"}).text
    languages = re.search(r'id="label-job-languages">([^<]*)<', page).group(1)
    assert languages.split(":", 1)[1].split(",") == [" Hindi", " English"]
    assert run_jobs(app) == ["succeeded"]
