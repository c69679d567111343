from __future__ import annotations

import re

from motpub.media.models.video import MediaKind, Video, VideoStatus
from motpub.web.pages import public_csp


def setup_exhibition(api, session) -> dict:
    ding = api.create_item(slug="ding", title={"zh": "青铜鼎", "en": "Bronze ding"},
                           summary={"en": "A cooking vessel"})
    jade = api.create_item(slug="jade", title={"zh": "玉琮"})
    draft = api.create_item(slug="draft", title={"zh": "草稿", "en": "Draft"})
    for item in (ding, jade):
        assert api.post(f"/items/{item['id']}/publish").status_code == 200
    # A ready video with a poster, as a finished transcode leaves it.
    session.add(Video(item_id=ding["id"], kind=MediaKind.VIDEO, language=None,
                      status=VideoStatus.READY, filename="a.mp4", content_type="video/mp4",
                      size_bytes=1, source_key="sources/a", part_size_bytes=1, width=640,
                      height=360, version="v1", master_key="videos/1/v1/master.m3u8",
                      poster_key="videos/1/v1/poster.jpg"))
    session.commit()
    exhibition = api.post("/exhibitions", json={
        "slug": "bronzes", "title": {"zh": "青铜时代", "en": "The Bronze Age"},
        "intro": {"zh": "三千年前的器物"}, "venue": "Hall 2"}).get_json()
    api.put(f"/exhibitions/{exhibition['id']}/items",
            json={"item_ids": [jade["id"], draft["id"], ding["id"]]})
    return exhibition


def test_page_lists_published_items_in_order_with_posters(client, api, session):
    setup_exhibition(api, session)
    response = client.get("/x/bronzes", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
    html = response.text
    assert "The Bronze Age" in html and "Hall 2" in html
    assert re.findall(r'href="/i/([a-z-]+)"', html) == ["jade", "ding"]
    assert "Draft" not in html
    assert "/media/videos/1/v1/poster.jpg" in html
    assert "A cooking vessel" in html
    # Jade has no English title: the Chinese one shows, marked as such.
    assert "玉琮" in html and "Shown in Chinese" in html


def test_page_speaks_the_visitors_language_and_switches(client, api, session):
    setup_exhibition(api, session)
    zh = client.get("/x/bronzes", headers={"Accept-Language": "zh-CN"})
    assert zh.headers["Content-Language"] == "zh"
    assert "青铜时代" in zh.text and "三千年前的器物" in zh.text and "青铜鼎" in zh.text
    assert 'href="/x/bronzes?lang=en"' in zh.text
    switched = client.get("/x/bronzes?lang=en", headers={"Accept-Language": "zh-CN"})
    assert switched.headers["Content-Language"] == "en"
    assert "motpub_lang=en" in switched.headers["Set-Cookie"]


def test_page_has_the_strict_public_policy_and_no_inline_script(app, client, api, session):
    setup_exhibition(api, session)
    response = client.get("/x/bronzes")
    with app.test_request_context():
        assert response.headers["Content-Security-Policy"] == public_csp()
    assert "<script" not in response.text
    assert "Accept-Language" in response.headers["Vary"]
    assert len(response.data) < 8000  # one small round trip for a phone


def test_unknown_exhibition_is_the_bilingual_404(client):
    response = client.get("/x/nothing-here")
    assert response.status_code == 404
    assert "Content-Security-Policy" in response.headers
