"""Every absolute URL comes from MOTPUB_PUBLIC_URL, Werkzeug's own redirects included: a
request's Host header never chooses where a visitor is sent."""

from __future__ import annotations

import pytest

from motpub.app import create_app
from tests.support import make_settings

EVIL = {"Host": "evil.example"}


def _get(client, path: str, headers: dict):
    # PATH_INFO set directly: a test client reads "//studio" as a host, a server does not.
    return client.get("/", headers=headers, environ_overrides={"PATH_INFO": path})


@pytest.mark.parametrize("path, location", [
    ("/studio", "http://motpub.test/studio/"),
    ("//studio", "http://motpub.test/studio/"),
    ("/ops", "http://motpub.test/ops/"),
    ("/ops//", "http://motpub.test/ops/"),
])
def test_redirects_of_a_request_with_a_foreign_host_stay_on_the_public_url(
        client, path, location):
    response = _get(client, path, EVIL)
    assert response.status_code in (301, 302, 307, 308)
    assert response.headers["Location"] == location


def test_a_foreign_host_never_appears_in_any_redirect(client):
    for path in ("/studio", "/studio/", "//studio/", "/studio//items/", "/studio/login/",
                 "/i/x/", "/", "//", "///evil.example/studio", "/ops//"):
        response = _get(client, path, EVIL)
        assert "evil.example" not in response.headers.get("Location", ""), path


def test_redirects_behind_a_tls_proxy_use_the_https_public_url(tmp_path, database_url):
    app = create_app(make_settings(tmp_path, database_url,
                                   public_url="https://scan.example.org"))
    try:
        client = app.test_client()
        for path in ("/studio", "//studio", "/ops"):
            response = _get(client, path, {"Host": "10.0.0.7:8000"})
            assert response.status_code == 308
            assert response.headers["Location"].startswith("https://scan.example.org/"), path
    finally:
        app.extensions["motpub"].target_cache.close()
        app.extensions["motpub"].engine.dispose()


def test_redirect_keeps_the_query_string(client):
    response = client.get("/studio?lang=zh", headers=EVIL)
    assert response.headers["Location"] == "http://motpub.test/studio/?lang=zh"
