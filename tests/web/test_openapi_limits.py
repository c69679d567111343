"""The OpenAPI document states the limits the code enforces, and the statuses they answer."""

from __future__ import annotations


def operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield path, method, operation


def test_a_body_over_the_request_limit_answers_a_documented_413(app, api):
    document = api.get("/openapi.json").get_json()
    with_body = [(path, method) for path, method, operation in operations(document)
                 if "requestBody" in operation and "413" not in operation["responses"]]
    assert with_body == []
    assert "MOTPUB_MAX_REQUEST_BYTES" in document["info"]["description"]
    big = {"item_ids": [1] * 400_000}
    response = api.post("/codes/batch", json=big)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"


def test_upload_request_states_the_configured_size_limit_and_the_accepted_types(
        app, api):
    upload = api.get("/openapi.json").get_json()["components"]["schemas"]["UploadRequest"]
    limit = app.extensions["motpub"].settings.max_upload_bytes
    assert upload["properties"]["size_bytes"]["maximum"] == limit
    assert "video/mp4" in upload["properties"]["content_type"]["enum"]
    assert upload["properties"]["filename"]["maxLength"] == 255
    item = api.create_item()
    too_big = api.post(f"/items/{item['id']}/videos", json={
        "filename": "a.mp4", "size_bytes": limit + 1, "content_type": "video/mp4"})
    assert too_big.status_code == 422
    odd_type = api.post(f"/items/{item['id']}/videos", json={
        "filename": "a.doc", "size_bytes": 10, "content_type": "application/msword"})
    assert odd_type.status_code == 422


def test_video_completion_and_captions_state_their_limits(api):
    document = api.get("/openapi.json").get_json()
    complete = document["paths"]["/videos/{video_id}/complete"]["post"]
    parts = complete["requestBody"]["content"]["application/json"]["schema"]["properties"][
        "parts"]
    assert parts["minItems"] == 1 and parts["items"]["properties"]["number"]["minimum"] == 1
    assert parts["items"]["properties"]["etag"]["minLength"] == 1
    delete = document["paths"]["/videos/{video_id}/captions/{language}"]["delete"]
    assert delete["parameters"][1]["schema"]["enum"] == ["zh", "en"]
    item = api.create_item()
    video = api.post(f"/items/{item['id']}/videos", json={
        "filename": "a.mp4", "size_bytes": 10, "content_type": "video/mp4"}).get_json()
    assert api.post(f"/videos/{video['video_id']}/complete",
                    json={"parts": []}).status_code == 422
    assert api.post(f"/videos/{video['video_id']}/complete",
                    json={"parts": [{"number": 1, "etag": ""}]}).status_code == 422
    assert api.delete(f"/videos/{video['video_id']}/captions/fr").status_code == 404
