from __future__ import annotations

import pytest

from motpub.exhibitions.models import Exhibition
from tests.factories import add_user, Api
from tests.support import csrf_token, login


@pytest.fixture
def editor(app, client):
    token = add_user(app, "editor@example.org", "editor")
    assert login(client, "editor@example.org").status_code == 302
    return Api(client, token)


def form(page_html: str, **fields) -> dict:
    data = {"csrf_token": csrf_token(page_html), "slug": "bronzes", "title_zh": "青铜时代",
            "title_en": "The Bronze Age", "intro_zh": "", "intro_en": "", "venue": "Hall 2",
            "timezone": "", "starts_on": "", "ends_on": "", "items": ""}
    data.update(fields)
    return data


def exhibitions_in_db(app) -> list[Exhibition]:
    with app.extensions["motpub"].session_factory() as session:
        return [(e.slug, [entry.item.slug for entry in e.entries])
                for e in session.query(Exhibition)]


def test_editor_creates_an_exhibition_with_items_in_order(app, client, editor):
    editor.create_item(slug="ding")
    editor.create_item(slug="jade")
    page = client.get("/studio/exhibitions/new")
    assert page.status_code == 200 and "ding" in page.text
    response = client.post("/studio/exhibitions/new",
                           data=form(page.text, items="jade\n\nding\n", starts_on="2027-05-01"))
    assert response.status_code == 302
    assert exhibitions_in_db(app) == [("bronzes", ["jade", "ding"])]
    edit = client.get(response.headers["Location"])
    assert "jade\nding" in edit.text and "a4-21" in edit.text and "/x/bronzes" in edit.text
    listing = client.get("/studio/exhibitions")
    assert "青铜时代" in listing.text or "The Bronze Age" in listing.text


def test_unknown_item_slug_is_shown_and_nothing_is_saved(app, client, editor):
    page = client.get("/studio/exhibitions/new")
    response = client.post("/studio/exhibitions/new", data=form(page.text, items="nope"))
    assert response.status_code == 422
    assert "nope" in response.text
    assert exhibitions_in_db(app) == []


def test_bad_timezone_is_shown_in_chinese(app, client, editor):
    client.get("/studio/language/zh")
    page = client.get("/studio/exhibitions/new")
    assert "展览" in page.text
    response = client.post("/studio/exhibitions/new", data=form(page.text, timezone="Mars/X"))
    assert response.status_code == 422 and "Mars/X" in response.text


def test_entrance_code_and_delete_from_the_studio(app, client, editor):
    page = client.get("/studio/exhibitions/new")
    location = client.post("/studio/exhibitions/new", data=form(page.text)).headers["Location"]
    edit = client.get(location)
    exhibition_id = int(location.rstrip("/").rsplit("/", 1)[1])
    client.post(f"/studio/exhibitions/{exhibition_id}/codes",
                data={"csrf_token": csrf_token(edit.text), "label": "Door"})
    codes = editor.get(f"/exhibitions/{exhibition_id}").get_json()["codes"]
    assert [code["label"] for code in codes] == ["Door"]
    assert client.get(location).text.count(codes[0]["code"]) >= 2
    client.post(f"/studio/exhibitions/{exhibition_id}/delete",
                data={"csrf_token": csrf_token(edit.text)})
    assert exhibitions_in_db(app) == []


def test_analyst_may_not_open_the_exhibitions_studio(app, client):
    add_user(app, "analyst@example.org", "analyst")
    login(client, "analyst@example.org")
    assert client.get("/studio/exhibitions").status_code == 403
