"""The studio's placement page: relabel, disable, retarget a code; its history; CSRF; roles."""

from __future__ import annotations

from tests.factories import add_user
from tests.support import csrf_token, login


def _form(client, code: str) -> str:
    page = client.get(f"/studio/codes/{code}")
    assert page.status_code == 200
    return csrf_token(page.text)


def test_an_editor_retargets_relabels_and_disables_a_code_from_the_studio(app, api, client):
    _old, code = api.published_item_with_code()
    new = api.create_item(slug="jade-cong", title={"zh": "玉琮", "en": "Jade cong"})
    api.post(f"/items/{new['id']}/publish")
    login(client, "editor@example.org")
    token = _form(client, code)

    response = client.post(f"/studio/codes/{code}", data={
        "csrf_token": token, "label": "Hall 3, case 2", "item_slug": "jade-cong"},
        follow_redirects=True)
    assert response.status_code == 200
    placement = api.get(f"/codes/{code}").get_json()
    assert (placement["item_id"], placement["label"], placement["enabled"]) == (
        new["id"], "Hall 3, case 2", False)  # the box was left unticked
    page = response.text
    assert "Jade cong" in page and "Bronze ding" in page  # both targets in the history
    assert client.get(f"/s/{code}").status_code == 404


def test_an_unknown_slug_is_shown_on_the_form_and_nothing_changes(app, api, client):
    item, code = api.published_item_with_code()
    login(client, "editor@example.org")
    response = client.post(f"/studio/codes/{code}", data={
        "csrf_token": _form(client, code), "label": "moved", "item_slug": "no-such-item",
        "enabled": "y"})
    assert response.status_code == 422 and "no-such-item" in response.text
    placement = api.get(f"/codes/{code}").get_json()
    assert (placement["item_id"], placement["label"]) == (item["id"], "Hall 1")


def test_the_placement_page_needs_csrf_and_an_editor(app, api, client):
    _item, code = api.published_item_with_code()
    add_user(app, "analyst@example.org", "analyst")
    login(client, "analyst@example.org")
    assert client.get(f"/studio/codes/{code}").status_code == 403
    editor = app.test_client()
    login(editor, "editor@example.org")
    response = editor.post(f"/studio/codes/{code}", data={"label": "no token"})
    assert response.status_code in (400, 422)
    assert api.get(f"/codes/{code}").get_json()["label"] == "Hall 1"
