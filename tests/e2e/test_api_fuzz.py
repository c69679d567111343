"""Schemathesis over the OpenAPI document of a live `motpub serve`.

The run is seeded and bounded (a few examples per operation, one worker, no shrinking), so
it reads the same cases every time and fits the suite's budget on a 2-core machine. It fails
with schemathesis's own report, which names each failing operation and the curl to replay it.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.e2e.conftest import MOTPUB, _cli, running_server

SCHEMATHESIS = MOTPUB.parent / "schemathesis"
ADMIN_EMAIL = "fuzz-admin@example.org"
SEED = 16
# Per operation and phase; with ~45 operations this is a couple of thousand requests.
MAX_EXAMPLES = int(os.environ.get("MOTPUB_FUZZ_MAX_EXAMPLES", "25"))
RUN_TIMEOUT_S = 600
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
])
EXCLUDED = [
    # The signed part upload is authorised by an HMAC in its query; random signatures can
    # only ever be refused, and a valid one cannot be generated, so fuzzing it proves nothing.
    "--exclude-path-regex", r"^/videos/\{video_id\}/parts/\{number\}$",
]


def _seed_data(server) -> None:
    """An item with codes and a video, a published one, and an exhibition with an entrance
    code, so the small ids schemathesis tries lead somewhere."""
    first = server.api("POST", "/items", {"title": {"zh": "青铜鼎", "en": "Bronze ding"}})
    second = server.api("POST", "/items", {"title": {"zh": "玉璧", "en": "Jade disc"}})
    server.api("POST", f"/items/{second['id']}/publish")
    for item in (first, second):
        server.api("POST", f"/items/{item['id']}/codes", {"label": "Hall 1"})
    exhibition = server.api("POST", "/exhibitions", {
        "slug": "bronzes", "title": {"zh": "青铜器", "en": "Bronzes"}})
    server.api("PUT", f"/exhibitions/{exhibition['id']}/items",
               {"item_ids": [first["id"], second["id"]]})
    server.api("POST", f"/exhibitions/{exhibition['id']}/codes", {"label": "Entrance"})
    # A video whose upload has started, so the video routes find one.
    server.api("POST", f"/items/{first['id']}/videos", {
        "language": "zh", "filename": "ding.mp4", "size_bytes": 1_000_000,
        "content_type": "video/mp4"})


def test_api_conforms_to_its_openapi_document_under_schemathesis(tmp_path):
    with running_server(tmp_path) as server:
        _seed_data(server)
        _cli(server.env, "users", "create", ADMIN_EMAIL, "--role", "admin",
             "--password-stdin", stdin="fuzz-admin-password-long\n")
        token = _cli(server.env, "tokens", "create", ADMIN_EMAIL).strip().splitlines()[-1]
        result = subprocess.run(
            [str(SCHEMATHESIS), "run", f"{server.url}/api/v1/openapi.json",
             "--checks", CHECKS, "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES),
             "--workers", "1", "--phases", "examples,coverage,fuzzing", "--no-shrink",
             "--generation-database", "none",
             "--request-timeout", "30", "--no-color", "--output-truncate", "false",
             "--header", f"Authorization: Bearer {token}", *EXCLUDED],
            cwd=tmp_path, env={**server.env, "SCHEMATHESIS_HOOKS": ""},
            capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    if result.returncode != 0:
        pytest.fail(f"schemathesis found failures (exit {result.returncode}):\n"
                    f"{result.stdout}\n{result.stderr}", pytrace=False)
