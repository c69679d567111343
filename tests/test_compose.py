"""compose.yaml, checked by its structure: no Docker engine runs where the tests do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from motpub.config import PROJECT_ROOT, Settings

COMPOSE = PROJECT_ROOT / "compose.yaml"
LONG_RUNNING = ("postgres", "redis", "minio", "web", "worker")
APP_SERVICES = ("migrate", "web", "worker")
SUBSTITUTION = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


class RecordingEnv(dict):
    """An environment that remembers every name read from it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.names: set[str] = set()

    def get(self, key, default=None):
        self.names.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.names.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.names.add(key)
        return super().__contains__(key)


def setting_names(tmp_path: Path) -> set[str]:
    """The MOTPUB_* names the code reads: those Settings.from_env asks for, and those
    gunicorn.conf.py reads from the environment."""
    env = RecordingEnv(MOTPUB_DATA_DIR=str(tmp_path))
    Settings.from_env(env)
    gunicorn_conf = (PROJECT_ROOT / "gunicorn.conf.py").read_text()
    names = env.names | set(re.findall(r"""environ(?:\.get\(|\[)["'](MOTPUB_\w+)["']""",
                                       gunicorn_conf))
    return {name for name in names if name.startswith("MOTPUB_")}


def resolve(value: object) -> str:
    """A value as compose gives it without any variable set: the default, or for a required
    variable (`${NAME:?message}`) a stand-in as an operator's would be."""
    def substitute(match: re.Match) -> str:
        name, kind, rest = match.groups()
        if kind == "-":
            return rest
        if kind == "?":
            return "0123456789abcdef" * 4 if name == "MOTPUB_SECRET_KEY" else f"{name.lower()}"
        return ""
    return SUBSTITUTION.sub(substitute, str(value)).replace("$$", "$")


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(entry.split("=", 1) for entry in env)
    return {name: resolve(value) for name, value in env.items()}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def test_compose_has_every_service_of_the_production_shape(services):
    assert {"postgres", "redis", "minio", "createbucket", "migrate", "web",
            "worker"} <= set(services)


def test_web_worker_and_migrate_are_built_from_the_dockerfile(services):
    for name in APP_SERVICES:
        build = services[name]["build"]
        context = PROJECT_ROOT / (build if isinstance(build, str) else build.get("context", "."))
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile",
                                                                           "Dockerfile")
        assert context.resolve() == PROJECT_ROOT.resolve(), name
        assert (context / dockerfile).is_file() and dockerfile == "Dockerfile", name
    assert services["migrate"]["command"] == ["motpub", "db", "upgrade"]
    assert services["worker"]["command"][:2] == ["motpub", "worker"]
    assert services["web"]["command"] == ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]


def test_web_and_worker_start_only_after_the_migrations_succeeded(services):
    for name in ("web", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["createbucket"] == {"condition": "service_completed_successfully"}
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert services["migrate"].get("restart") == "no"


def test_the_bucket_is_made_by_a_one_shot_mc_once_minio_is_healthy(services):
    bucket = services["createbucket"]
    assert "mc" in bucket["image"]
    assert bucket["depends_on"]["minio"] == {"condition": "service_healthy"}
    script = " ".join(bucket["command"])
    assert "mc mb --ignore-existing" in script
    bucket_name = environment(bucket)["MOTPUB_BUCKET"]
    storage_url = environment(services["web"])["MOTPUB_STORAGE_URL"]
    assert storage_url.startswith(f"s3://{bucket_name}/")


def test_every_motpub_variable_compose_sets_is_a_real_setting(services, tmp_path):
    known = setting_names(tmp_path)
    # The list is the code's: a sample of what it must and must not hold.
    assert {"MOTPUB_DATABASE_URL", "MOTPUB_SECRET_KEY", "MOTPUB_JOB_LEASE_S",
            "MOTPUB_BIND", "MOTPUB_WEB_WORKERS"} <= known
    assert "MOTPUB_BUCKET" not in known
    for name, service in services.items():
        unknown = {v for v in environment(service) if v.startswith("MOTPUB_")} - known
        if name == "createbucket":
            unknown -= {"MOTPUB_BUCKET"}  # the compose file's own variable, for mc
        assert not unknown, f"{name} sets {sorted(unknown)}, which motpub never reads"


def test_the_app_services_settings_make_a_valid_production_configuration(services, tmp_path):
    for name in APP_SERVICES:
        env = environment(services[name]) | {"MOTPUB_DATA_DIR": str(tmp_path)}
        settings = Settings.from_env(env)
        assert not settings.is_embedded, name
        assert settings.queue_url.startswith("redis://redis:"), name
        assert settings.ratelimit_storage_url.startswith("redis://redis:"), name
        assert settings.storage_url.startswith("s3://") and settings.s3_endpoint_url, name
    assert environment(services["web"]) == environment(services["worker"]) | {
        "MOTPUB_BIND": "0.0.0.0:8000", "MOTPUB_WEB_WORKERS": "4", "MOTPUB_WEB_THREADS": "4"}


def test_long_running_services_have_healthchecks(services):
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name
    assert any("/healthz" in part for part in services["web"]["healthcheck"]["test"])


def test_stateful_services_keep_their_data_in_declared_volumes(compose, services):
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume["source"]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name} mounts {source}, which is not declared"
    mounts = {name: [v.split(":", 1)[1] for v in services[name].get("volumes", [])]
              for name in ("postgres", "redis", "minio")}
    assert mounts == {"postgres": ["/var/lib/postgresql/data"], "redis": ["/data"],
                      "minio": ["/data"]}
