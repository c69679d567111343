"""HTTP errors keep the headers that say what to do next (Allow, Content-Range), and media
served by the app answers Range requests as RFC 9110 says."""

from __future__ import annotations

import pytest

from motpub.app import create_app
from motpub.orm import Base
from motpub.items.models import Item, ItemStatus
from motpub.media.models.video import MediaKind, Video
from tests.factories import bearer
from tests.support import make_settings

SIZE = 100
KEY = "videos/1/v1/segment_0001.m4s"


@pytest.fixture
def media_client(tmp_path):
    """A segment of video 1, whose item is published: served to anyone. Range handling
    reads the database only for that, so SQLite is enough."""
    url = f"sqlite:///{tmp_path / 'motpub.db'}"
    app = create_app(make_settings(tmp_path, url))
    runtime = app.extensions["motpub"]
    Base.metadata.create_all(runtime.engine)
    with runtime.session_factory() as session, session.begin():
        item = Item(slug="bell", default_language="en", status=ItemStatus.PUBLISHED)
        session.add(item)
        session.flush()
        session.add(Video(id=1, item_id=item.id, kind=MediaKind.VIDEO, filename="bell.mp4",
                          content_type="video/mp4", size_bytes=SIZE, part_size_bytes=SIZE,
                          source_key="sources/bell.mp4"))
    runtime.storage.put_bytes(KEY, bytes(range(SIZE)))
    yield app.test_client()
    app.extensions["motpub"].target_cache.close()
    app.extensions["motpub"].engine.dispose()


@pytest.mark.parametrize("method, path, allowed", [
    ("delete", "/api/v1/openapi.json", {"GET", "HEAD"}),
    ("put", "/api/v1/items/1", {"GET", "PATCH"}),
    ("post", "/api/v1/exhibitions/1", {"GET", "PATCH", "DELETE"}),
    ("delete", "/studio/login", {"GET", "POST"}),
    ("put", "/s/abcdefgh", {"GET", "HEAD"}),
])
def test_method_not_allowed_answers_405_with_allow(client, editor_token, method, path,
                                                  allowed):
    response = getattr(client, method)(path, headers=bearer(editor_token))
    assert response.status_code == 405
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}
    if path.startswith("/api/"):
        assert response.get_json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("header, content_range, first, last", [
    ("bytes=0-9", "bytes 0-9/100", 0, 9),
    ("bytes=90-500", "bytes 90-99/100", 90, 99),
    ("bytes=-10", "bytes 90-99/100", 90, 99),
    ("bytes=-500", "bytes 0-99/100", 0, 99),
    ("bytes=42-", "bytes 42-99/100", 42, 99),
])
def test_satisfiable_range_answers_206(media_client, header, content_range, first, last):
    response = media_client.get(f"/media/{KEY}", headers={"Range": header},
                                buffered=True)
    assert response.status_code == 206
    assert response.headers["Content-Range"] == content_range
    assert response.data == bytes(range(first, last + 1))


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "bytes=0-1, 200-300", "bytes=5-2",
                                    "bytes=abc", "items=0-1", "bytes=", "bytes=-"])
def test_multiple_or_malformed_ranges_answer_the_whole_file(media_client, header):
    response = media_client.get(f"/media/{KEY}", headers={"Range": header},
                                buffered=True)
    assert response.status_code == 200
    assert response.data == bytes(range(SIZE)) and "Content-Range" not in response.headers


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=500-600"])
def test_range_past_the_end_answers_416_with_the_size(media_client, header):
    response = media_client.get(f"/media/{KEY}", headers={"Range": header},
                                buffered=True)
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{SIZE}"
