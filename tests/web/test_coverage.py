"""Translation status and coverage: a translation is stale once the text it was made from
changes, until an editor confirms or edits it; the coverage lists say what each item and
exhibition lacks in each language. Editors see it; visitors never do."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from motpub.coverage.models import TranslationBasis
from motpub.media.models.video import AudioTrack, Caption, MediaKind, Video, VideoStatus
from tests.support import csrf_token, login, make_settings

LANGUAGES = ("zh", "zh-Hant", "en", "ru", "ar", "th", "fr", "es", "ja", "ko")


@pytest.fixture
def settings(tmp_path, database_url):
    return make_settings(tmp_path, database_url, languages=LANGUAGES)


def status(api, item_id: int) -> dict:
    return api.get(f"/items/{item_id}").get_json()["translation_status"]


def coverage(api, **query) -> dict:
    response = api.get("/coverage", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def entry(found: dict, kind: str, thing_id: int) -> dict:
    [one] = [e for e in found["entries"] if e["kind"] == kind and e["id"] == thing_id]
    return one


def test_a_translation_goes_stale_when_its_source_changes_until_confirmed(api, client):
    item = api.create_item(title={"zh": "青铜鼎"}, default_language="zh")
    assert status(api, item["id"])["title"]["ru"] == "missing"
    api.patch(f"/items/{item['id']}", json={"title": {"zh": "青铜鼎", "ru": "Бронзовый котёл"}})
    assert status(api, item["id"])["title"] == {
        lang: "current" if lang in ("zh", "ru") else "missing" for lang in LANGUAGES}
    api.post(f"/items/{item['id']}/publish")

    # The source text changes: the Russian title was made from the old one.
    changed = api.patch(f"/items/{item['id']}",
                        json={"title": {"zh": "商代青铜鼎", "ru": "Бронзовый котёл"}})
    assert changed.get_json()["translation_status"]["title"]["ru"] == "stale"
    assert changed.get_json()["translation_status"]["title"]["zh"] == "current"
    assert changed.get_json()["title"]["ru"] == "Бронзовый котёл"  # never overwritten
    found = coverage(api, language="ru")
    assert found["languages"] == ["ru"]
    assert entry(found, "item", item["id"])["languages"]["ru"] == {
        "status": "partial", "missing": ["summary", "body"], "stale": ["title"]}

    login(client, "editor@example.org")
    studio = client.get(f"/studio/items/{item['id']}?edit=ru&source=zh")
    assert 'class="badge stale"' in studio.text
    assert 'form="confirm-title-ru"' in studio.text and 'id="confirm-title-ru"' in studio.text

    # Visitors see the Russian title as it is, and nothing of its status.
    page = client.get(f"/i/{item['slug']}?lang=ru")
    assert "Бронзовый котёл" in page.text
    assert "stale" not in page.text and "translation_status" not in page.text

    confirmed = api.post(f"/items/{item['id']}/translations/confirm",
                         json={"field": "title", "language": "ru"})
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["translation_status"]["title"]["ru"] == "current"
    assert confirmed.get_json()["title"]["ru"] == "Бронзовый котёл"
    assert entry(coverage(api, language="ru"), "item", item["id"])["languages"]["ru"][
        "stale"] == []


def test_editing_a_stale_translation_makes_it_current(api):
    item = api.create_item(title={"zh": "鼎", "fr": "Ding"}, default_language="zh")
    api.patch(f"/items/{item['id']}", json={"title": {"zh": "青铜鼎", "fr": "Ding"}})
    assert status(api, item["id"])["title"]["fr"] == "stale"
    api.patch(f"/items/{item['id']}", json={"title": {"zh": "青铜鼎", "fr": "Ding en bronze"}})
    assert status(api, item["id"])["title"]["fr"] == "current"


def test_the_studio_confirm_button_makes_a_translation_current(api, client):
    item = api.create_item(title={"zh": "鼎", "ar": "قدر"}, default_language="zh")
    api.patch(f"/items/{item['id']}", json={"title": {"zh": "青铜鼎", "ar": "قدر"}})
    login(client, "editor@example.org")
    page = client.get(f"/studio/items/{item['id']}?edit=ar&source=zh")
    response = client.post(f"/studio/items/{item['id']}/translations/confirm", data={
        "csrf_token": csrf_token(page.text), "field": "title", "language": "ar",
        "edit": "ar", "source": "zh"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/studio/items/{item['id']}?edit=ar&source=zh#content")
    assert status(api, item["id"])["title"]["ar"] == "current"
    after = client.get(f"/studio/items/{item['id']}?edit=ar&source=zh")
    assert 'class="badge stale"' not in after.text


def test_confirming_what_cannot_be_confirmed_is_a_422(api):
    item = api.create_item(title={"zh": "鼎"}, default_language="zh")
    path = f"/items/{item['id']}/translations/confirm"
    missing = api.post(path, json={"field": "title", "language": "ru"})
    assert missing.status_code == 422 and missing.get_json()["error"]["field"] == "language"
    assert api.post(path, json={"field": "title", "language": "xx"}).status_code == 422
    intro = api.post(path, json={"field": "intro", "language": "zh"})
    assert intro.status_code == 422 and intro.get_json()["error"]["field"] == "field"
    # The source itself is no translation of anything.
    assert api.post(path, json={"field": "title", "language": "zh"}).status_code == 422
    assert api.post("/items/999/translations/confirm",
                    json={"field": "title", "language": "zh"}).status_code == 404


def test_exhibition_translations_go_stale_and_are_confirmed(api):
    exhibition = api.post("/exhibitions", json={
        "slug": "bronzes", "title": {"zh": "青铜时代", "ja": "青銅器時代"},
        "intro": {"zh": "三千年的器物"}}).get_json()
    assert exhibition["translation_status"]["title"]["ja"] == "current"
    assert exhibition["translation_status"]["intro"]["ja"] == "missing"
    changed = api.patch(f"/exhibitions/{exhibition['id']}", json={
        "title": {"zh": "青铜的时代", "ja": "青銅器時代"}}).get_json()
    assert changed["translation_status"]["title"]["ja"] == "stale"
    found = coverage(api, language="ja", exhibition=exhibition["id"])
    assert entry(found, "exhibition", exhibition["id"])["languages"]["ja"] == {
        "status": "partial", "missing": ["intro"], "stale": ["title"]}
    confirmed = api.post(f"/exhibitions/{exhibition['id']}/translations/confirm",
                         json={"field": "title", "language": "ja"}).get_json()
    assert confirmed["translation_status"]["title"]["ja"] == "current"


def test_coverage_lists_missing_media_in_each_language(app, api, session):
    item = api.create_item(title={"zh": "鼎", "en": "Ding"}, summary={"zh": "礼器",
                                                                       "en": "A vessel"},
                           body={"zh": "正文", "en": "Text"},
                           links=[{"url": "https://museum.example/ding",
                                   "title": {"zh": "更多", "en": "More"}}])
    for kind, language in ((MediaKind.VIDEO, "zh"), (MediaKind.AUDIO, "en")):
        video = Video(item_id=item["id"], kind=kind, language=language,
                      status=VideoStatus.READY, filename="a.mp4", content_type="video/mp4",
                      size_bytes=1, source_key="k", part_size_bytes=1)
        session.add(video)
        session.flush()
        if kind is MediaKind.VIDEO:
            session.add(Caption(video_id=video.id, language="en", vtt_key="c.vtt",
                                playlist_key="c.m3u8"))
    session.commit()
    found = coverage(api)
    assert found["languages"] == list(LANGUAGES)
    languages = entry(found, "item", item["id"])["languages"]
    assert languages["zh"] == {"status": "partial", "missing": ["captions", "audio_guide"],
                               "stale": []}
    assert languages["en"] == {"status": "partial", "missing": ["video"], "stale": []}
    assert languages["ko"] == {
        "status": "missing",
        "missing": ["title", "summary", "body", "links", "video", "captions", "audio_guide"],
        "stale": []}


def test_a_dub_counts_as_the_video_in_its_language(api, session):
    item = api.create_item(title={"zh": "鼎", "en": "Ding"})
    video = Video(item_id=item["id"], kind=MediaKind.VIDEO, language="zh",
                  status=VideoStatus.READY, filename="a.mp4", content_type="video/mp4",
                  size_bytes=1, source_key="k", part_size_bytes=1)
    session.add(video)
    session.flush()
    dub = AudioTrack(video_id=video.id, language="en", filename="en.m4a", size_bytes=1,
                     source_key="d", status=VideoStatus.QUEUED)
    session.add(dub)
    session.commit()
    # Not yet playable: English still lacks the video.
    assert "video" in entry(coverage(api), "item", item["id"])["languages"]["en"]["missing"]
    dub.playlist_key, dub.master_key = "audio/en/index.m3u8", "master-en.m3u8"
    dub.status = VideoStatus.READY
    session.commit()
    languages = entry(coverage(api), "item", item["id"])["languages"]
    assert "video" not in languages["en"]["missing"]
    assert "video" in languages["ru"]["missing"]


def test_a_complete_language_says_so(api):
    item = api.create_item(title={"zh": "鼎", "en": "Ding"}, summary={"zh": "礼器",
                                                                       "en": "A vessel"},
                           body={"zh": "正文", "en": "Text"})
    languages = entry(coverage(api), "item", item["id"])["languages"]
    assert languages["zh"]["status"] == languages["en"]["status"] == "complete"
    assert languages["th"]["status"] == "missing"


def test_coverage_pages_exhibitions_first_then_items(api):
    first, second, third = (api.create_item(slug=f"thing-{n}", title={"zh": f"物{n}"})
                            for n in range(3))
    exhibition = api.post("/exhibitions", json={"slug": "hall", "title": {"zh": "展厅"}})
    exhibition = exhibition.get_json()
    api.put(f"/exhibitions/{exhibition['id']}/items", json={"item_ids": [first["id"],
                                                                        third["id"]]})
    page = coverage(api, limit=2, offset=0)
    assert page["total"] == 4
    assert [(e["kind"], e["id"]) for e in page["entries"]] == [
        ("exhibition", exhibition["id"]), ("item", third["id"])]
    page = coverage(api, limit=2, offset=2)
    assert [(e["kind"], e["id"]) for e in page["entries"]] == [
        ("item", second["id"]), ("item", first["id"])]
    assert coverage(api, limit=2, offset=4)["entries"] == []

    in_exhibition = coverage(api, exhibition=exhibition["id"], language="ru")
    assert in_exhibition["total"] == 3
    assert {(e["kind"], e["id"]) for e in in_exhibition["entries"]} == {
        ("exhibition", exhibition["id"]), ("item", first["id"]), ("item", third["id"])}
    assert all(set(e["languages"]) == {"ru"} for e in in_exhibition["entries"])


@pytest.mark.parametrize("query, field", [
    ({"language": "xx"}, "language"), ({"language": "de"}, "language"),
    ({"exhibition": "999"}, "exhibition"), ({"exhibition": "x"}, "exhibition"),
    ({"limit": "0"}, "limit"), ({"offset": "-1"}, "offset")])
def test_coverage_refuses_unknown_languages_and_exhibitions(api, query, field):
    response = api.get("/coverage", query_string=query)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field
    if field == "language":
        assert ", ".join(LANGUAGES) in response.get_json()["error"]["message"]


def test_coverage_needs_an_editor(client, analyst_token):
    assert client.get("/api/v1/coverage").status_code == 401
    assert client.get("/api/v1/coverage", headers={
        "Authorization": f"Bearer {analyst_token}"}).status_code == 403


def test_studio_coverage_view_filters_by_language_and_exhibition(api, client):
    item = api.create_item(slug="ding", title={"zh": "鼎", "ru": "Котёл"})
    other = api.create_item(slug="disc", title={"zh": "璧"})
    exhibition = api.post("/exhibitions", json={"slug": "hall", "title": {"zh": "展厅"}})
    exhibition = exhibition.get_json()
    api.put(f"/exhibitions/{exhibition['id']}/items", json={"item_ids": [item["id"]]})
    login(client, "editor@example.org")
    page = client.get("/studio/coverage")
    assert page.status_code == 200 and "璧" in page.text and "展厅" in page.text
    assert page.text.count('data-language="') == 3 * len(LANGUAGES)
    filtered = client.get(f"/studio/coverage?language=ru&exhibition={exhibition['id']}")
    assert "璧" not in filtered.text and "鼎" in filtered.text
    assert filtered.text.count('data-language="ru"') == 2
    assert 'data-gap="summary"' in filtered.text
    assert f'href="/studio/items/{item["id"]}?edit=ru"' in filtered.text
    assert client.get("/studio/coverage?language=xx").status_code == 422
    items = client.get("/studio/")
    assert f'href="/studio/items/{other["id"]}?edit=ru" lang="ru"' in items.text
    assert 'class="lang-tag partial"' in items.text and 'class="lang-tag missing"' in items.text


def test_a_translation_from_before_bases_were_kept_goes_stale_when_its_source_changes(
        api, session):
    item = api.create_item(title={"zh": "鼎", "en": "Ding"}, summary={"zh": "礼器",
                                                                       "en": "A vessel"})
    # Texts written before this release have no basis.
    session.execute(delete(TranslationBasis))
    session.commit()
    assert status(api, item["id"])["title"]["en"] == "current"
    api.patch(f"/items/{item['id']}", json={"title": {"zh": "青铜鼎", "en": "Ding"}})
    after = status(api, item["id"])
    assert after["title"]["en"] == "stale" and after["summary"]["en"] == "current"
