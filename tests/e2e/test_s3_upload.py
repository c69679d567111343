"""End to end on S3: the studio's browser PUTs each part straight to the bucket.

`motpub serve` runs on the S3 backend against moto's S3 server (both on loopback, on
different ports, so every part PUT is cross-origin), with the bucket's CORS rule set by
`motpub storage cors`, as an operator does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from playwright.sync_api import Browser

from tests.e2e.browser import choose_and_upload, console_errors, expect_uploaded, item_in_studio
from tests.e2e.conftest import Server, _cli, running_server
from tests.factories import make_clip

pytestmark = pytest.mark.browser

BUCKET = "motpub-e2e"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("s3-upload") / "bronze-ding.mp4")


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=BUCKET)
    yield endpoint, client
    server.stop()


@pytest.fixture(scope="module")
def s3_server(s3_endpoint, tmp_path_factory) -> Server:
    endpoint, _client = s3_endpoint
    with running_server(tmp_path_factory.mktemp("e2e-s3"),
                        MOTPUB_STORAGE_URL=f"s3://{BUCKET}/e2e",
                        MOTPUB_S3_ENDPOINT_URL=endpoint, **CREDENTIALS) as started:
        rules = json.loads(_cli(started.env, "storage", "cors", started.url))
        assert rules[-1]["AllowedOrigins"] == [started.url]
        yield started


def test_studio_uploads_straight_to_the_bucket(browser: Browser, s3_server: Server,
                                               s3_endpoint, clip: Path):
    endpoint, client = s3_endpoint
    with item_in_studio(browser, s3_server, "Bronze ding on S3") as (item, page):
        errors = console_errors(page)
        puts, answers = [], []
        page.on("request", lambda request: puts.append(request.url)
                if request.method == "PUT" else None)
        page.on("response", lambda response: answers.append(response.headers)
                if response.request.method == "PUT" else None)

        choose_and_upload(page, clip)
        expect_uploaded(page)

        # The part went to the bucket's presigned URL, never through the app.
        assert len(puts) == 1 and puts[0].startswith(f"{endpoint}/{BUCKET}/e2e/sources/")
        assert re.search(r"[?&]partNumber=1&", puts[0]) and "X-Amz-Signature=" in puts[0]
        assert answers[0]["access-control-allow-origin"] == s3_server.url
        assert "etag" in answers[0]["access-control-expose-headers"].lower()
        [video] = s3_server.api("GET", f"/items/{item['id']}/videos")["videos"]
        assert video["status"] == "queued"  # complete took the ETag the page read from S3
        [source] = client.list_objects_v2(Bucket=BUCKET, Prefix="e2e/sources/")["Contents"]
        assert source["Size"] == clip.stat().st_size and source["Key"].endswith("bronze-ding.mp4")
        assert client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
        assert errors == []
