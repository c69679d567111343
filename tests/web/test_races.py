"""A change racing a delete: the rival request really runs, on its own session and thread,
between the change's read and its write. The loser answers 409, never 500."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from sqlalchemy import event

from motpub.exhibitions.models import Exhibition
from motpub.media.models.video import Video
from tests.factories import add_user, Api
from tests.support import csrf_token, login


@contextmanager
def rival_before_write(app, model, method: str, path: str, headers: dict):
    """Run `method path` on another thread the first time a session is about to write a
    changed `model` row, and wait for it to finish."""
    answers = []

    def rival(session, _context, _instances):
        if answers or not any(isinstance(row, model) for row in session.dirty):
            return
        answers.append(None)
        thread = threading.Thread(target=lambda: answers.append(
            getattr(app.test_client(), method)(path, headers=headers).status_code))
        thread.start()
        thread.join(timeout=60)

    factory = app.extensions["motpub"].session_factory
    event.listen(factory, "before_flush", rival)
    try:
        yield answers
    finally:
        event.remove(factory, "before_flush", rival)


def new_exhibition(api: Api, **fields) -> int:
    response = api.post("/exhibitions", json={"slug": "bronzes", "title": {"en": "Bronzes"},
                                              **fields})
    assert response.status_code == 201
    return response.get_json()["id"]


def test_patch_of_an_exhibition_deleted_meanwhile_answers_409(app, api):
    exhibition_id = new_exhibition(api)
    path = f"/api/v1/exhibitions/{exhibition_id}"
    with rival_before_write(app, Exhibition, "delete", path, api.headers) as answers:
        response = api.patch(f"/exhibitions/{exhibition_id}", json={"venue": "Hall 3"})
    assert answers == [None, 204]
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"
    assert api.get(f"/exhibitions/{exhibition_id}").status_code == 404


def test_setting_items_of_an_exhibition_deleted_meanwhile_answers_409(app, api):
    item = api.create_item()
    exhibition_id = new_exhibition(api)
    path = f"/api/v1/exhibitions/{exhibition_id}"
    with rival_before_write(app, Exhibition, "delete", path, api.headers) as answers:
        response = api.put(f"/exhibitions/{exhibition_id}/items",
                           json={"item_ids": [item["id"]]})
    assert answers == [None, 204]
    assert response.status_code == 409


def test_retry_of_a_video_deleted_meanwhile_answers_409(app, api):
    item = api.create_item()
    upload = api.post(f"/items/{item['id']}/videos", json={
        "filename": "clip.mp4", "size_bytes": 1000, "content_type": "video/mp4"}).get_json()
    video_id = upload["video_id"]
    assert api.delete(f"/videos/{video_id}/upload").status_code == 200  # now failed
    path = f"/api/v1/videos/{video_id}"
    with rival_before_write(app, Video, "delete", path, api.headers) as answers:
        response = api.post(f"/videos/{video_id}/retry")
    assert answers == [None, 204]
    assert response.status_code == 409


def test_studio_edit_of_an_exhibition_deleted_meanwhile_answers_409(app, client):
    token = add_user(app, "editor@example.org", "editor")
    api = Api(app.test_client(), token)
    exhibition_id = new_exhibition(api)
    assert login(client, "editor@example.org").status_code == 302
    page = client.get(f"/studio/exhibitions/{exhibition_id}")
    form = {"csrf_token": csrf_token(page.text), "slug": "bronzes", "title_zh": "",
            "title_en": "Bronzes", "intro_zh": "", "intro_en": "", "venue": "Hall 9",
            "timezone": "", "starts_on": "", "ends_on": "", "items": ""}
    path = f"/api/v1/exhibitions/{exhibition_id}"
    with rival_before_write(app, Exhibition, "delete", path, api.headers) as answers:
        response = client.post(f"/studio/exhibitions/{exhibition_id}", data=form)
    assert answers == [None, 204]
    assert response.status_code == 409
