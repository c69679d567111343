"""GET /metrics behind MOTPUB_METRICS_TOKEN, request ids, and their settings, in-process."""

from __future__ import annotations

import json

import pytest

from motpub.app import create_app
from motpub.config import ConfigError, Settings
from motpub.exhibitions.models import Exhibition
from motpub.items.models import Item
from motpub.media.models.transcode_job import JobStatus, TranscodeJob
from motpub.codes.models.label_job import LabelJob
from motpub.media.models.video import MediaKind, Video
from motpub.storage import FileStorage, StorageUnavailable, count_failures
from tests.factories import Api, add_user
from tests.support import make_settings, sample

TOKEN = "metrics-token-0123456789-abcdefghijklmnop"


@pytest.fixture
def metrics_app(tmp_path):
    app = create_app(make_settings(tmp_path, f"sqlite:///{tmp_path / 'motpub.db'}",
                                   metrics_token=TOKEN))
    from motpub.database import upgrade

    upgrade(app.extensions["motpub"].settings.database_url,
            str(app.extensions["motpub"].settings.migrations_dir))
    yield app
    runtime = app.extensions["motpub"]
    runtime.scan_recorder.flush()
    runtime.target_cache.close()
    runtime.engine.dispose()


def scrape(client) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.data
    assert response.content_type.startswith("text/plain")
    return response.get_data(as_text=True)


def test_metrics_answer_404_when_no_token_is_set(client):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}",
                                           f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x"])
def test_metrics_refuse_a_missing_or_wrong_token_with_401(metrics_app, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = metrics_app.test_client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_requests_are_counted_by_route_template_and_status_class(metrics_app):
    client = metrics_app.test_client()
    before = scrape(client)
    for code in ("aaa", "bbb", "ccc"):
        assert client.get(f"/s/{code}").status_code == 404
    assert client.get("/livez").status_code == 200
    assert client.get("/no/such/page").status_code == 404
    after = scrape(client)

    def grew(**labels):
        return (sample(after, "motpub_http_requests_total", **labels)
                - sample(before, "motpub_http_requests_total", **labels))

    assert grew(route="/s/<code>", status="4xx") == 3
    assert grew(route="/livez", status="2xx") == 1
    assert grew(route="unmatched", status="4xx") == 1
    assert "/s/aaa" not in after and "/no/such/page" not in after
    assert sample(after, "motpub_http_request_duration_seconds_count",
                  route="/livez", status="2xx") >= 1


def test_jobs_are_counted_by_kind_and_status_at_scrape_time(metrics_app):
    runtime = metrics_app.extensions["motpub"]

    with runtime.session_factory() as session, session.begin():
        item = Item(slug="bell", default_language="en")
        session.add(item)
        session.flush()
        for status in (JobStatus.QUEUED, JobStatus.FAILED, JobStatus.FAILED,
                       JobStatus.SUCCEEDED):
            video = Video(item_id=item.id, kind=MediaKind.VIDEO, filename="bell.mp4",
                          content_type="video/mp4", size_bytes=1, part_size_bytes=1,
                          source_key="uploads/bell.mp4")
            session.add(video)
            session.flush()
            session.add(TranscodeJob(video_id=video.id, status=status))
        exhibition = Exhibition(slug="hall", title={"zh": "展厅", "en": "Hall"})
        session.add(exhibition)
        session.flush()
        session.add(LabelJob(exhibition_id=exhibition.id, template="a4-8",
                             status=JobStatus.RUNNING))
    text = scrape(metrics_app.test_client())
    assert sample(text, "motpub_jobs", kind="transcode", status="queued") == 1
    assert sample(text, "motpub_jobs", kind="transcode", status="running") == 0
    assert sample(text, "motpub_jobs", kind="transcode", status="failed") == 2
    assert sample(text, "motpub_jobs", kind="label", status="running") == 1
    assert sample(text, "motpub_jobs", kind="label", status="queued") == 0
    assert sample(text, "motpub_jobs", kind="image", status="queued") == 0
    assert 'status="succeeded"' not in text


def test_storage_failures_are_counted_by_operation_and_still_raised(tmp_path):
    (tmp_path / "not-a-folder").write_text("a file where the storage root should be")
    failures = []
    storage = count_failures(FileStorage(tmp_path / "not-a-folder" / "media",
                                         public_url="http://motpub.test"), failures.append)
    with pytest.raises(StorageUnavailable):
        storage.put_bytes("a/b.txt", b"x")
    assert failures == ["put_bytes"]
    assert isinstance(storage, FileStorage)


def test_every_response_carries_a_request_id_and_a_sane_one_is_echoed(client):
    made = client.get("/livez").headers["X-Request-Id"]
    assert len(made) == 32 and made != client.get("/livez").headers["X-Request-Id"]
    offered = "edge-7f3a9c.1:abc"
    assert client.get("/livez", headers={"X-Request-Id": offered}) \
        .headers["X-Request-Id"] == offered
    assert client.get("/s/nope", headers={"X-Request-Id": offered}) \
        .headers["X-Request-Id"] == offered


@pytest.mark.parametrize("offered", ["x" * 65, "has space", 'quote"d', "new\tline", ""])
def test_an_unusable_request_id_is_replaced_by_a_new_one(client, offered):
    answered = client.get("/livez", headers={"X-Request-Id": offered}).headers["X-Request-Id"]
    assert answered != offered and len(answered) == 32


def test_a_short_metrics_token_stops_the_start():
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"MOTPUB_METRICS_TOKEN": "short", "MOTPUB_SECRET_KEY": TOKEN})
    assert any("MOTPUB_METRICS_TOKEN" in problem for problem in error.value.problems)


def test_log_format_must_be_text_or_json():
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"MOTPUB_LOG_FORMAT": "xml", "MOTPUB_SECRET_KEY": TOKEN})
    assert any("MOTPUB_LOG_FORMAT" in problem for problem in error.value.problems)
    assert Settings.from_env({"MOTPUB_LOG_FORMAT": "JSON", "MOTPUB_SECRET_KEY": TOKEN,
                              }).log_format == "json"


def test_beacons_and_written_visits_are_counted_by_outcome_and_kind(metrics_app):
    client = metrics_app.test_client()
    api = Api(client, add_user(metrics_app, "editor@example.org", "editor"))
    item, code = api.published_item_with_code()
    draft = api.create_item(slug="draft")
    before = scrape(client)
    assert client.get(f"/s/{code}").status_code == 200
    assert client.get(f"/s/{code}").status_code == 200
    for payload, status in (({"i": item["id"], "s": "p4g3sess1on", "k": "video_start"}, 204),
                            ({"i": item["id"], "s": "p4g3sess1on", "k": "dance"}, 400),
                            ({"i": draft["id"], "s": "p4g3sess1on", "k": "video_start"}, 204)):
        assert client.post("/e", data=json.dumps(payload),
                           content_type="text/plain").status_code == status
    metrics_app.extensions["motpub"].scan_recorder.flush()
    after = scrape(client)

    def grew(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("motpub_beacons_total", outcome="accepted") == 1
    assert grew("motpub_beacons_total", outcome="refused") == 1
    assert grew("motpub_beacons_total", outcome="ignored") == 1
    assert grew("motpub_visits_recorded_total", kind="scan") == 2
    assert grew("motpub_visits_recorded_total", kind="engagement") == 1
    assert sample(after, "motpub_visits_buffered") == 0
