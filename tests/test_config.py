from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from motpub.config import ConfigError, Settings

# The fixed development key that older versions accepted on SQLite; it is public.
OLD_PUBLIC_KEY = "motpub-embedded-default-not-secret"


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
                           "MOTPUB_SECRET_KEY": "k" * 31})


def test_embedded_default_generates_a_random_key_kept_private_in_the_data_dir(tmp_path):
    first = Settings.from_env({"MOTPUB_DATA_DIR": str(tmp_path / "one")})
    again = Settings.from_env({"MOTPUB_DATA_DIR": str(tmp_path / "one")})
    other = Settings.from_env({"MOTPUB_DATA_DIR": str(tmp_path / "two")})
    assert first.secret_key == again.secret_key != other.secret_key
    assert len(first.secret_key) >= 32 and first.secret_key != OLD_PUBLIC_KEY
    key_file = tmp_path / "one" / "secret_key"
    assert key_file.read_text().strip() == first.secret_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sorted(path.name for path in (tmp_path / "one").iterdir()) == ["secret_key"]


def test_processes_starting_at_once_on_one_data_dir_share_one_key(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("MOTPUB_")}
    env["MOTPUB_DATA_DIR"] = str(tmp_path / "data")
    script = "from motpub.config import Settings; print(Settings.from_env().secret_key)"
    processes = [subprocess.Popen([sys.executable, "-c", script], env=env, text=True,
                                  stdout=subprocess.PIPE) for _ in range(6)]
    keys = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert all(process.returncode == 0 for process in processes)
    assert keys == {(tmp_path / "data" / "secret_key").read_text().strip()}


def test_a_key_file_others_may_read_is_refused(tmp_path):
    Settings.from_env({"MOTPUB_DATA_DIR": str(tmp_path)})
    (tmp_path / "secret_key").chmod(0o644)
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"MOTPUB_DATA_DIR": str(tmp_path)})
    assert "chmod 600" in str(error.value)


def test_a_short_secret_key_is_refused_on_every_database(tmp_path):
    for database_url in (f"sqlite:///{tmp_path / 'motpub.db'}", "postgresql://db/motpub"):
        with pytest.raises(ConfigError) as error:
            Settings.from_env({"MOTPUB_DATA_DIR": str(tmp_path),
                               "MOTPUB_DATABASE_URL": database_url,
                               "MOTPUB_SECRET_KEY": "short-but-not-empty"})
        assert "at least 32 characters" in str(error.value)
    with pytest.raises(ConfigError):
        Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'motpub.db'}",
                 public_url="http://127.0.0.1:8000", secret_key="x" * 31,
                 queue_url=f"sqlite:///{tmp_path / 'queue.db'}",
                 storage_url=f"file://{tmp_path / 'media'}")


def test_a_short_secret_key_stops_the_command_with_a_clear_message(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("MOTPUB_")}
    env.update(MOTPUB_DATA_DIR=str(tmp_path), MOTPUB_SECRET_KEY="dev")
    result = subprocess.run([sys.executable, "-m", "motpub", "db", "upgrade"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "MOTPUB_SECRET_KEY must be a random value of at least 32 characters" \
        in result.stderr
    assert not (tmp_path / "motpub.db").exists()


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


def test_content_languages_come_from_a_comma_separated_list_of_bcp47_tags(tmp_path):
    base = {"MOTPUB_DATA_DIR": str(tmp_path)}
    assert Settings.from_env(base).languages == ("zh", "en")
    assert Settings.from_env({**base, "MOTPUB_LANGUAGES": " zh, en ,ru"}).languages == (
        "zh", "en", "ru")
    for wrong in ("zh,klingon", "zh,zh", "zh,en-", ","):
        with pytest.raises(ConfigError, match="MOTPUB_LANGUAGES"):
            Settings.from_env({**base, "MOTPUB_LANGUAGES": wrong})
