from __future__ import annotations

from pathlib import Path

import pytest

from motpub.config import DEFAULT_SECRET_KEY, ConfigError, Settings


def test_embedded_default_needs_no_variable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.data_dir == tmp_path / "var"
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'motpub.db'}"
    assert settings.queue_url.startswith("sqlite:///")
    assert settings.storage_url == f"file://{tmp_path / 'var' / 'media'}"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.is_embedded and not settings.is_https


def test_variables_choose_backends_and_urls():
    settings = Settings.from_env({
        "MOTPUB_DATA_DIR": "/srv/motpub",
        "MOTPUB_DATABASE_URL": "postgresql://motpub@db/motpub",
        "MOTPUB_QUEUE_URL": "redis://127.0.0.1:6379/0",
        "MOTPUB_STORAGE_URL": "s3://bucket/prefix",
        "MOTPUB_PUBLIC_URL": "https://scan.example.org/",
        "MOTPUB_SECRET_KEY": "k" * 40,
    })
    assert settings.data_dir == Path("/srv/motpub")
    assert not settings.is_embedded and settings.is_https
    assert settings.public_url == "https://scan.example.org"


def test_production_refuses_to_start_without_a_real_secret():
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"MOTPUB_DATABASE_URL": "postgresql://db/motpub"})
    assert "MOTPUB_SECRET_KEY" in str(error.value)
    with pytest.raises(ConfigError):
        Settings.from_env({"MOTPUB_DATABASE_URL": "postgresql://db/motpub",
                           "MOTPUB_SECRET_KEY": DEFAULT_SECRET_KEY})


def test_every_problem_is_listed_at_once():
    with pytest.raises(ConfigError) as error:
        Settings.from_env({
            "MOTPUB_PUBLIC_URL": "scan.example.org",
            "MOTPUB_DATABASE_URL": "mysql://db",
            "MOTPUB_QUEUE_URL": "amqp://x",
            "MOTPUB_STORAGE_URL": "ftp://x",
            "MOTPUB_MAX_REQUEST_BYTES": "lots",
        })
    assert len(error.value.problems) == 6
