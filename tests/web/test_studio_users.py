"""Accounts in the studio: sessions that end, user management for admins, own passwords."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from motpub.accounts.models import ApiToken, User
from tests.factories import add_user, bearer
from tests.support import csrf_token, login, PASSWORD

NEW_PASSWORD = "violet kettle across the harbour"


def copy_of(app, client):
    """A second browser holding a copy of `client`'s session cookie."""
    other = app.test_client()
    other.set_cookie("motpub_session", client.get_cookie("motpub_session").value)
    return other


def user_row(app, email: str) -> User:
    with app.extensions["motpub"].session_factory() as session:
        return session.scalar(select(User).where(User.email == email))


def post_form(client, page_path: str, action: str, **fields):
    page = client.get(page_path)
    assert page.status_code == 200
    return client.post(action, data={"csrf_token": csrf_token(page.text), **fields})


@pytest.fixture
def admin(app, client):
    add_user(app, "admin@example.org", "admin")
    assert login(client, "admin@example.org").status_code == 302
    return client


def test_a_copied_session_cookie_stops_working_after_logout(app, client):
    add_user(app, "editor@example.org", "editor")
    login(client, "editor@example.org")
    copy = copy_of(app, client)
    assert copy.get("/studio/").status_code == 200
    post_form(client, "/studio/", "/studio/logout")
    assert client.get("/studio/").status_code == 302
    assert copy.get("/studio/").status_code == 302


def test_a_session_cookie_without_a_session_version_is_refused(app, client):
    from tests.support import forged_session_cookie

    add_user(app, "editor@example.org", "editor")
    key = app.config["SECRET_KEY"]
    client.set_cookie("motpub_session", forged_session_cookie(app, client, key,
                                                              "editor@example.org"))
    assert client.get("/studio/").status_code == 200
    user_id = str(user_row(app, "editor@example.org").id)
    from flask import Flask
    from flask_login.utils import _create_identifier

    with app.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    signer = Flask("forger")
    signer.secret_key = key
    client.set_cookie("motpub_session", app.session_interface.get_signing_serializer(
        signer).dumps({"_user_id": user_id, "_fresh": True, "_id": identifier}))
    assert client.get("/studio/").status_code == 302


def test_changing_ones_password_ends_other_sessions_but_keeps_this_one(app, client):
    add_user(app, "analyst@example.org", "analyst")
    login(client, "analyst@example.org")
    elsewhere = copy_of(app, client)
    response = post_form(client, "/studio/password", "/studio/password",
                         current_password=PASSWORD, password=NEW_PASSWORD,
                         confirm=NEW_PASSWORD)
    assert response.status_code == 302
    assert client.get("/studio/password").status_code == 200
    assert elsewhere.get("/studio/password").status_code == 302
    fresh = app.test_client()
    assert login(fresh, "analyst@example.org", PASSWORD).status_code == 422
    assert login(fresh, "analyst@example.org", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("fields, shown", [
    ({"current_password": "not " + PASSWORD, "password": NEW_PASSWORD,
      "confirm": NEW_PASSWORD}, "The current password is wrong."),
    ({"current_password": PASSWORD, "password": NEW_PASSWORD,
      "confirm": NEW_PASSWORD + "!"}, "The two new passwords differ."),
    ({"current_password": PASSWORD, "password": "short one", "confirm": "short one"},
     "at least 12 characters"),
    ({"current_password": PASSWORD, "password": " " * 16, "confirm": " " * 16},
     "must not be only spaces"),
    ({"current_password": PASSWORD, "password": "password1234", "confirm": "password1234"},
     "too easy to guess"),
])
def test_a_refused_password_change_says_why_and_changes_nothing(app, client, fields, shown):
    add_user(app, "editor@example.org", "editor")
    login(client, "editor@example.org")
    before = user_row(app, "editor@example.org").password_hash
    response = post_form(client, "/studio/password", "/studio/password", **fields)
    assert response.status_code == 422 and shown in response.text
    assert user_row(app, "editor@example.org").password_hash == before
    assert client.get("/studio/password").status_code == 200


def test_a_weak_password_is_refused_in_chinese_in_the_chinese_studio(app, admin):
    admin.set_cookie("motpub_lang", "zh")
    response = post_form(admin, "/studio/users", "/studio/users", email="new@example.org",
                         role="editor", password="qwertyuiop123")
    assert response.status_code == 422
    assert "此密码太容易被猜到" in response.text
    assert user_row(app, "new@example.org") is None


def test_admin_deactivates_a_user_whose_session_and_tokens_stop_then_activates_them(
        app, admin):
    token = add_user(app, "editor@example.org", "editor")
    editor = app.test_client()
    login(editor, "editor@example.org")
    user_id = user_row(app, "editor@example.org").id
    page = f"/studio/users/{user_id}"
    assert post_form(admin, page, f"{page}/deactivate").status_code == 302
    assert editor.get("/studio/").status_code == 302
    assert editor.get("/api/v1/items", headers=bearer(token)).status_code == 401
    assert login(app.test_client(), "editor@example.org").status_code == 422
    assert "deactivated" in admin.get("/studio/users").text
    assert post_form(admin, page, f"{page}/activate").status_code == 302
    assert login(editor, "editor@example.org").status_code == 302
    assert editor.get("/api/v1/items", headers=bearer(token)).status_code == 200


def test_admin_changes_a_role_and_sets_a_password_that_ends_the_users_sessions(app, admin):
    add_user(app, "editor@example.org", "editor")
    editor = app.test_client()
    login(editor, "editor@example.org")
    user_id = user_row(app, "editor@example.org").id
    page = f"/studio/users/{user_id}"
    assert post_form(admin, page, f"{page}/role", role="analyst").status_code == 302
    assert user_row(app, "editor@example.org").role.value == "analyst"
    assert editor.get("/studio/").status_code == 403
    weak = post_form(admin, page, f"{page}/password", password="letmein12345",
                     confirm="letmein12345")
    assert weak.status_code == 422 and "too easy to guess" in weak.text
    assert editor.get("/ops/").status_code == 200
    response = post_form(admin, page, f"{page}/password", password=NEW_PASSWORD,
                         confirm=NEW_PASSWORD)
    assert response.status_code == 302
    assert editor.get("/ops/").status_code == 302
    assert login(app.test_client(), "editor@example.org", NEW_PASSWORD).status_code == 302


def test_admin_sees_a_users_tokens_by_prefix_and_revokes_one(app, admin):
    token = add_user(app, "editor@example.org", "editor")
    kept = add_user(app, "other@example.org", "editor")
    user_id = user_row(app, "editor@example.org").id
    page = admin.get(f"/studio/users/{user_id}")
    assert token[:12] in page.text and token not in page.text and kept[:12] not in page.text
    with app.extensions["motpub"].session_factory() as session:
        token_id = session.scalar(select(ApiToken.id).where(ApiToken.prefix == token[:12]))
        other_id = session.scalar(select(ApiToken.id).where(ApiToken.prefix == kept[:12]))
    # A token of another user cannot be revoked through this user's page.
    wrong = post_form(admin, f"/studio/users/{user_id}",
                      f"/studio/users/{user_id}/tokens/{other_id}/revoke")
    assert wrong.status_code == 404
    response = post_form(admin, f"/studio/users/{user_id}",
                         f"/studio/users/{user_id}/tokens/{token_id}/revoke")
    assert response.status_code == 302
    assert admin.get("/api/v1/items", headers=bearer(token)).status_code == 401
    assert admin.get("/api/v1/items", headers=bearer(kept)).status_code == 200
    assert "revoked" in admin.get(f"/studio/users/{user_id}").text


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(app, admin):
    user_id = user_row(app, "admin@example.org").id
    page = f"/studio/users/{user_id}"
    demoted = post_form(admin, page, f"{page}/role", role="editor")
    assert demoted.status_code == 422 and "at least one active admin" in demoted.text
    post_form(admin, page, f"{page}/deactivate")
    assert user_row(app, "admin@example.org").is_active
    assert user_row(app, "admin@example.org").role.value == "admin"


def test_only_admins_manage_users_and_every_change_needs_the_csrf_token(app, admin):
    add_user(app, "editor@example.org", "editor")
    editor = app.test_client()
    login(editor, "editor@example.org")
    user_id = user_row(app, "editor@example.org").id
    token = csrf_token(editor.get("/studio/").text)
    changes = {"role": {"role": "admin"}, "deactivate": {}, "activate": {},
               "password": {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
               "tokens/1/revoke": {}}
    assert editor.get(f"/studio/users/{user_id}").status_code == 403
    for action, fields in changes.items():
        response = editor.post(f"/studio/users/{user_id}/{action}",
                               data={"csrf_token": token, **fields})
        assert response.status_code == 403, action
        without_csrf = admin.post(f"/studio/users/{user_id}/{action}", data=fields)
        assert without_csrf.status_code == 400, action
    row = user_row(app, "editor@example.org")
    assert row.role.value == "editor" and row.is_active
    with app.extensions["motpub"].session_factory() as session:
        assert session.scalar(select(ApiToken.revoked_at)) is None
    assert login(app.test_client(), "editor@example.org", PASSWORD).status_code == 302
