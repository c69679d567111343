from __future__ import annotations

import io
import re

import pytest

from motpub.items.models import Item
from tests.factories import add_user
from tests.support import csrf_token, forged_session_cookie, login, PASSWORD


@pytest.fixture
def editor(app, client):
    add_user(app, "editor@example.org", "editor")
    assert login(client, "editor@example.org").status_code == 302
    return client


def item_form(page_html: str, **fields) -> dict:
    data = {"csrf_token": csrf_token(page_html), "slug": "", "default_language": "zh",
            "title_zh": "", "title_en": "", "summary_zh": "", "summary_en": "",
            "body_zh": "", "body_en": "", "links": ""}
    data.update(fields)
    return data


def session_cookie(response) -> str:
    [cookie] = [value for value in response.headers.getlist("Set-Cookie")
                if value.startswith("motpub_session=")]
    return cookie


def items_in_db(app) -> list[Item]:
    with app.extensions["motpub"].session_factory() as session:
        return list(session.query(Item))


def test_studio_needs_login(client):
    response = client.get("/studio/")
    assert response.status_code == 302 and "/studio/login" in response.headers["Location"]


def test_wrong_password_is_refused(app, client):
    add_user(app, "editor@example.org", "editor")
    response = login(client, "editor@example.org", "wrong password!")
    assert response.status_code == 422
    assert client.get("/studio/").status_code == 302


def test_login_is_rate_limited(app, client):
    add_user(app, "editor@example.org", "editor")
    statuses = [login(client, "editor@example.org", "wrong password!").status_code
                for _ in range(12)]
    assert statuses[:10] == [422] * 10
    assert statuses[-1] == 429


def test_session_cookie_is_httponly_and_lax(app, client):
    add_user(app, "editor@example.org", "editor")
    cookie = session_cookie(login(client, "editor@example.org"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_secure_when_public_url_is_https(tmp_path, database_url):
    from motpub.app import create_app
    from tests.support import make_settings

    app = create_app(make_settings(tmp_path, database_url, public_url="https://motpub.test"))
    try:
        add_user(app, "editor@example.org", "editor")
        client = app.test_client()
        page = client.get("/studio/login", base_url="https://localhost")
        response = client.post("/studio/login", base_url="https://localhost", data={
            "email": "editor@example.org", "password": "correct horse battery",
            "csrf_token": csrf_token(page.text)})
        assert "Secure" in session_cookie(response)
    finally:
        app.extensions["motpub"].engine.dispose()


def test_form_without_csrf_token_is_refused(app, editor):
    response = editor.post("/studio/items/new", data={"title_en": "No token"})
    assert response.status_code == 400
    assert items_in_db(app) == []


def test_editor_creates_edits_previews_and_publishes_an_item(app, editor, client):
    page = editor.get("/studio/items/new").text
    response = editor.post("/studio/items/new", data=item_form(
        page, title_zh="青铜鼎", title_en="Bronze ding", summary_zh="商代礼器",
        body_en="## About\n\nA **ritual** vessel.",
        links="https://example.org/ding | 更多 | More"))
    assert response.status_code == 302
    [item] = items_in_db(app)
    assert item.slug == "bronze-ding"
    assert item.links == [{"url": "https://example.org/ding",
                           "title": {"zh": "更多", "en": "More"}}]

    preview = editor.get(f"/studio/items/{item.id}/preview?lang=en")
    assert preview.status_code == 200 and "<strong>ritual</strong>" in preview.text
    assert "Preview" in preview.text
    assert client.get("/i/bronze-ding").status_code == 404  # still a draft

    detail = editor.get(f"/studio/items/{item.id}").text
    editor.post(f"/studio/items/{item.id}/publish", data={"csrf_token": csrf_token(detail)})
    assert client.get("/i/bronze-ding").status_code == 200

    edit = editor.post(f"/studio/items/{item.id}", data=item_form(
        detail, slug="bronze-ding", title_zh="青铜鼎", title_en="Bronze tripod"))
    assert edit.status_code == 302
    assert "Bronze tripod" in client.get("/i/bronze-ding?lang=en").text


def test_invalid_item_form_shows_errors_and_writes_nothing(app, editor):
    page = editor.get("/studio/items/new").text
    response = editor.post("/studio/items/new", data=item_form(page, title_en=""))
    assert response.status_code == 422
    assert "title" in response.text
    assert items_in_db(app) == []
    bad_link = editor.post("/studio/items/new", data=item_form(
        page, title_en="x", links="javascript:alert(1) | a | b"))
    assert bad_link.status_code == 422 and items_in_db(app) == []


def test_editor_creates_a_code_and_downloads_its_qr(app, editor):
    page = editor.get("/studio/items/new").text
    editor.post("/studio/items/new", data=item_form(page, title_en="Jade"))
    [item] = items_in_db(app)
    detail = editor.get(f"/studio/items/{item.id}").text
    editor.post(f"/studio/items/{item.id}/codes",
                data={"csrf_token": csrf_token(detail), "label": "Hall 2, case 14"})
    with app.extensions["motpub"].session_factory() as session:
        code = session.get(Item, item.id).codes[0]
    assert code.label == "Hall 2, case 14"
    detail = editor.get(f"/studio/items/{item.id}").text
    assert code.code in detail and "Hall 2, case 14" in detail
    for extension, magic in (("svg", b"<svg"), ("png", b"\x89PNG"), ("pdf", b"%PDF")):
        response = editor.get(f"/studio/codes/{code.code}/qr.{extension}")
        assert response.status_code == 200 and response.data.startswith(magic)


def test_analyst_cannot_open_the_editing_studio(app, client):
    add_user(app, "analyst@example.org", "analyst")
    login(client, "analyst@example.org")
    assert client.get("/studio/").status_code == 403
    assert client.get("/studio/items/new").status_code == 403


def test_only_admins_manage_users(app, client):
    add_user(app, "admin@example.org", "admin")
    add_user(app, "editor@example.org", "editor")
    login(client, "editor@example.org")
    assert client.get("/studio/users").status_code == 403
    client.post("/studio/logout", data={"csrf_token": csrf_token(client.get("/studio/").text)})
    login(client, "admin@example.org")
    page = client.get("/studio/users")
    assert page.status_code == 200
    response = client.post("/studio/users", data={
        "csrf_token": csrf_token(page.text), "email": "new@example.org", "role": "analyst",
        "password": "long enough password"})
    assert response.status_code == 302
    assert "new@example.org" in client.get("/studio/users").text


def test_login_redirects_only_to_local_paths(app, client):
    add_user(app, "editor@example.org", "editor")
    page = client.get("/studio/login")
    response = client.post("/studio/login?next=https://evil.example/", data={
        "email": "editor@example.org", "password": "correct horse battery",
        "csrf_token": csrf_token(page.text)})
    assert response.headers["Location"] == "/studio/"


UNSAFE_NEXT = ["/studio/\r\nSet-Cookie: x=1", "/studio/\n", "/\t/evil.example/",
               "//evil.example/", "/\\evil.example/", "/\\/evil.example/",
               "https://evil.example/", "javascript:alert(1)", "/studio/\x7f"]


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_login_with_a_control_character_or_another_host_in_next_goes_home(app, client,
                                                                           target):
    add_user(app, "editor@example.org", "editor")
    page = client.get("/studio/login")
    response = client.post("/studio/login", query_string={"next": target}, data={
        "email": "editor@example.org", "password": PASSWORD,
        "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/studio/"


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_language_switch_with_a_control_character_or_another_host_in_next_goes_home(
        client, target):
    response = client.get("/studio/language/zh", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/studio/"


def test_a_nul_in_next_is_refused_before_any_page_reads_it(app, client):
    add_user(app, "editor@example.org", "editor")
    page = client.get("/studio/login")
    response = client.post("/studio/login", query_string={"next": "/studio/\x00"}, data={
        "email": "editor@example.org", "password": PASSWORD,
        "csrf_token": csrf_token(page.text)})
    assert response.status_code == 400 and "Location" not in response.headers
    assert client.get("/studio/").status_code == 302, "no session was started"
    response = client.get("/studio/language/zh", query_string={"next": "/studio/\x00"})
    assert response.status_code == 400 and "Location" not in response.headers


def test_language_switch_returns_to_a_local_page_with_its_query(client):
    response = client.get("/studio/language/en", query_string={"next": "/studio/items/3?x=1"})
    assert response.headers["Location"] == "/studio/items/3?x=1"


def test_a_cookie_signed_with_the_old_public_key_opens_no_studio_page(tmp_path):
    from motpub.app import create_app
    from motpub.config import PROJECT_ROOT, Settings
    from motpub.database import upgrade

    settings = Settings.from_env({"MOTPUB_DATA_DIR": str(tmp_path)}).replace(testing=True)
    upgrade(settings.database_url, str(PROJECT_ROOT / "migrations"))
    app = create_app(settings)
    try:
        add_user(app, "admin@example.org", "admin")
        client = app.test_client()
        client.set_cookie("motpub_session", forged_session_cookie(
            app, client, "motpub-embedded-default-not-secret", "admin@example.org"))
        assert client.get("/studio/users").status_code == 302
        # The same cookie signed with the key of this data dir gets in: the forgery is sound.
        client.set_cookie("motpub_session", forged_session_cookie(
            app, client, settings.secret_key, "admin@example.org"))
        assert client.get("/studio/users").status_code == 200
    finally:
        app.extensions["motpub"].target_cache.close()
        app.extensions["motpub"].engine.dispose()


def test_studio_csp_lets_the_browser_upload_parts_to_the_s3_endpoint(tmp_path, database_url):
    from motpub.app import create_app
    from tests.support import make_settings

    app = create_app(make_settings(tmp_path, database_url, storage_url="s3://media/motpub",
                                   s3_endpoint_url="http://127.0.0.1:9000"))
    try:
        csp = app.test_client().get("/studio/login").headers["Content-Security-Policy"]
    finally:
        app.extensions["motpub"].engine.dispose()
    assert "connect-src 'self' http://127.0.0.1:9000;" in csp
    assert "media-src 'self' http://127.0.0.1:9000 blob:;" in csp
    assert "script-src" not in csp and "unsafe-inline" not in csp  # scripts: 'self' only


def test_studio_csp_on_aws_with_a_cdn_streams_from_the_cdn_and_uploads_to_aws(tmp_path,
                                                                               database_url):
    from motpub.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(tmp_path, database_url, storage_url="s3://media/motpub",
                                   media_public_url="https://cdn.example.org/motpub"))
    try:
        csp = app.test_client().get("/studio/login").headers["Content-Security-Policy"]
    finally:
        app.extensions["motpub"].engine.dispose()
    assert "media-src 'self' https://cdn.example.org blob:;" in csp
    assert "connect-src 'self' https://cdn.example.org https://*.amazonaws.com;" in csp


def test_item_page_lists_its_videos_for_the_upload_script(client, api):
    item = api.create_item()
    login(client, "editor@example.org")
    created = api.post(f"/items/{item['id']}/videos", json={
        "language": "en", "filename": "guide.mp3", "size_bytes": 1000,
        "content_type": "audio/mpeg"}).get_json()
    page = client.get(f"/studio/items/{item['id']}").text
    assert f'id="video-{created["video_id"]}"' in page and "guide.mp3" in page
    assert 'data-video-url="/api/v1/videos/{id}"' in page
    assert 'data-row-url="/studio/videos/{id}/row"' in page
    scripts = ["studio-media.js", "studio-videos.js", "studio-parts.js", "studio-upload.js"]
    positions = [page.index(f"/static/{name}") for name in scripts]  # the shared one first
    assert positions == sorted(positions) and "/static/player.js" in page
    row = client.get(f"/studio/videos/{created['video_id']}/row")
    assert row.status_code == 200 and row.text.strip().startswith("<li")
    assert "Audio guide" in row.text and 'data-status="uploading"' in row.text


def import_csv(editor, body: bytes):
    page = editor.get("/studio/").text
    return editor.post("/studio/items/import", data={
        "csrf_token": csrf_token(page), "file": (io.BytesIO(body), "items.csv")},
        content_type="multipart/form-data", follow_redirects=True)


def test_editors_import_a_csv_of_items_and_export_it(app, editor):
    header = "slug,status,default_language,title_zh,title_en,links"
    body = (f"\ufeff{header}\r\nding,published,zh,青铜鼎,Bronze ding,\r\n"
            "cong,,en,玉琮,Jade cong,https://example.org | 介绍 | About\r\n").encode()
    page = import_csv(editor, body)
    assert page.status_code == 200 and "Imported: 2 new, 0 updated." in page.text
    assert {item.slug: item.is_published for item in items_in_db(app)} == {
        "ding": True, "cong": False}
    again = import_csv(editor, body.replace(b"Jade cong", b'"Jade cong, Liangzhu"'))
    assert "Imported: 0 new, 2 updated." in again.text
    assert {item.title["en"] for item in items_in_db(app)} == {"Bronze ding",
                                                               "Jade cong, Liangzhu"}
    exported = editor.get(re.search(r'href="(/api/v1/items/export\.csv)"', page.text).group(1))
    assert exported.status_code == 200 and "Jade cong, Liangzhu" in exported.text


@pytest.mark.parametrize("body, shown", [
    ("slug,title_zh,title_en\nding,青铜鼎,Bronze ding\nbad slug!,,\n".encode(), "Row 3"),
    (b"name,colour\nx,y\n", "the first row must name the columns"),
    ("slug,title_zh\n坏,鼎\n".encode("gb18030"), "not UTF-8"),
])
def test_a_bad_csv_imports_nothing_and_lists_its_problems(app, editor, body, shown):
    page = import_csv(editor, body)
    assert page.status_code == 422
    assert "Nothing was imported" in page.text and shown in page.text
    assert items_in_db(app) == []


def test_import_needs_a_file_and_the_csrf_token(app, editor):
    page = editor.post("/studio/items/import", data={"csrf_token": csrf_token(
        editor.get("/studio/").text)}, content_type="multipart/form-data")
    assert page.status_code == 422 and "Choose a CSV file." in page.text
    refused = editor.post("/studio/items/import", data={
        "file": (io.BytesIO(b"slug,title_zh\nx,y\n"), "items.csv")},
        content_type="multipart/form-data")
    assert refused.status_code == 400 and items_in_db(app) == []
