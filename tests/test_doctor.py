"""`motpub doctor`, and the worker's refusal to start without ffmpeg: each part taken away
for real (a PATH without the program, a closed port, a file where a folder must be)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from motpub.app import create_app
from motpub.config import PROJECT_ROOT
from motpub.database import upgrade
from motpub.avtools.tools import MIN_VERSION
from tests.e2e.conftest import running_server
from tests.support import assert_one_line, closed_port, make_settings

SECRET = "d0ct0r-must-never-print-this-" + "9f3e1c7a5b" * 2
DB_PASSWORD = "hunter2-never-shown"


def bin_dir(tmp_path: Path, *programs: str) -> Path:
    """A PATH entry holding only `programs`, linked from the machine's own."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for program in programs:
        (folder / program).symlink_to(shutil.which(program))
    return folder


def motpub(tmp_path: Path, *args: str, path: Path | None = None, **settings: str):
    env = {key: value for key, value in os.environ.items() if not key.startswith("MOTPUB_")}
    env.update(MOTPUB_DATA_DIR=str(tmp_path / "data"), **settings)
    if path is not None:
        env["PATH"] = str(path)
    return subprocess.run([sys.executable, "-m", "motpub", *args], env=env, capture_output=True,
                          text=True, timeout=120, cwd=PROJECT_ROOT)


def lines_of(result) -> dict[str, str]:
    """The doctor's lines by check name: {"database": "ok   database  ..."}."""
    return {line.split()[1]: line for line in result.stdout.splitlines() if line.strip()}


def migrated_sqlite(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'data' / 'motpub.db'}"
    (tmp_path / "data").mkdir(exist_ok=True)
    upgrade(url, str(PROJECT_ROOT / "migrations"))
    return url


def test_doctor_passes_on_a_migrated_postgres_setup_and_prints_no_secret(tmp_path, postgres_url,
                                                                        redis_url):
    url = make_url(postgres_url).set(password=DB_PASSWORD).render_as_string(hide_password=False)
    result = motpub(tmp_path, "doctor", MOTPUB_DATABASE_URL=url, MOTPUB_SECRET_KEY=SECRET,
                    MOTPUB_QUEUE_URL=redis_url, MOTPUB_PUBLIC_URL="https://scan.example.org")
    assert result.returncode == 0, (result.stdout, result.stderr)
    checks = lines_of(result)
    assert set(checks) == {"database", "storage", "queue", "ffmpeg", "cjk-font", "secret-key",
                           "public-url", "rate-limits"}
    assert all(line.startswith("ok ") for line in checks.values()), result.stdout
    assert "postgres:***@127.0.0.1" in checks["database"] and "at revision 0" in checks["database"]
    assert "libx264" in checks["ffmpeg"] and "aac" in checks["ffmpeg"]
    assert DB_PASSWORD not in result.stdout + result.stderr
    assert SECRET not in result.stdout + result.stderr
    # The round trip leaves nothing behind in storage.
    assert not list((tmp_path / "data" / "media").rglob("doctor*"))


def test_doctor_fails_ffmpeg_on_a_path_without_it(tmp_path):
    result = motpub(tmp_path, "doctor", path=bin_dir(tmp_path, "ffprobe"),
                    MOTPUB_DATABASE_URL=migrated_sqlite(tmp_path))
    assert result.returncode == 1
    checks = lines_of(result)
    assert checks["ffmpeg"].startswith("FAIL ffmpeg")
    assert "ffmpeg is not installed" in checks["ffmpeg"]
    assert "apt-get install ffmpeg" in checks["ffmpeg"]
    assert checks["database"].startswith("ok ") and checks["storage"].startswith("ok ")
    assert result.stderr.strip() == "motpub: 1 check(s) failed: ffmpeg"


def test_doctor_fails_the_database_on_a_closed_port_without_showing_its_password(tmp_path):
    url = f"postgresql://motpub:{DB_PASSWORD}@127.0.0.1:{closed_port()}/motpub"
    result = motpub(tmp_path, "doctor", MOTPUB_DATABASE_URL=url, MOTPUB_SECRET_KEY=SECRET)
    assert result.returncode == 1
    database = lines_of(result)["database"]
    assert database.startswith("FAIL database") and "Connection refused" in database
    assert DB_PASSWORD not in result.stdout + result.stderr


def test_doctor_fails_a_database_that_was_never_migrated(tmp_path):
    (tmp_path / "data").mkdir()
    result = motpub(tmp_path, "doctor",
                    MOTPUB_DATABASE_URL=f"sqlite:///{tmp_path / 'data' / 'empty.db'}")
    assert result.returncode == 1
    database = lines_of(result)["database"]
    assert database.startswith("FAIL database") and "never migrated" in database
    assert "motpub db upgrade" in database


def test_doctor_fails_a_database_at_a_revision_the_migrations_do_not_know(tmp_path):
    # As a database made by another motpub: `motpub db upgrade` cannot start from it.
    url = migrated_sqlite(tmp_path)
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffff0000ffff'")
    result = motpub(tmp_path, "doctor", MOTPUB_DATABASE_URL=url)
    assert result.returncode == 1
    database = lines_of(result)["database"]
    assert database.startswith("FAIL database") and "ffff0000ffff" in database
    assert "do not know" in database


def test_doctor_fails_storage_that_cannot_be_written(tmp_path):
    # A file where the storage folder must be: nothing can be written under it, even by root.
    blocker = tmp_path / "blocker"
    blocker.write_text("in the way")
    result = motpub(tmp_path, "doctor", MOTPUB_DATABASE_URL=migrated_sqlite(tmp_path),
                    MOTPUB_STORAGE_URL=f"file://{blocker}/media")
    assert result.returncode == 1
    storage = lines_of(result)["storage"]
    assert storage.startswith("FAIL storage") and "doctor/" in storage


def test_doctor_fails_a_redis_queue_on_a_closed_port(tmp_path):
    port = closed_port()
    result = motpub(tmp_path, "doctor", MOTPUB_DATABASE_URL=migrated_sqlite(tmp_path),
                    MOTPUB_QUEUE_URL=f"redis://127.0.0.1:{port}/0",
                    MOTPUB_RATELIMIT_STORAGE_URL=f"sqlite:///{tmp_path / 'limits.db'}")
    assert result.returncode == 1
    checks = lines_of(result)
    assert checks["queue"].startswith("FAIL queue")
    assert str(port) in checks["queue"] or "refused" in checks["queue"].lower()
    assert checks["rate-limits"].startswith("ok ")


def test_doctor_fails_a_font_path_that_no_longer_names_a_file(tmp_path):
    font = tmp_path / "font.ttc"
    font.write_bytes(b"ttcf")  # there when the settings were read, gone when checked
    url = migrated_sqlite(tmp_path)
    app = create_app(make_settings(tmp_path / "data", url, cjk_font_path=font))
    font.unlink()
    try:
        result = app.test_cli_runner().invoke(args=["doctor"])
    finally:
        app.extensions["motpub"].engine.dispose()
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if " cjk-font " in line]
    assert line.startswith("FAIL cjk-font") and str(font) in line
    assert "fonts-wqy-microhei" in line


def test_worker_refuses_to_start_without_ffmpeg_and_says_what_to_install(tmp_path):
    result = motpub(tmp_path, "worker", path=bin_dir(tmp_path, "ffprobe"))
    assert_one_line(result, "cannot start a queue worker", "ffmpeg is not installed",
                    "apt-get install ffmpeg", "./scripts/system-packages install run")


def test_worker_refuses_an_ffmpeg_older_than_the_pipeline_needs(tmp_path):
    folder = bin_dir(tmp_path, "ffprobe")
    old = folder / "ffmpeg"
    # What Debian 10's ffmpeg answers: too old for the pipeline's muxer options.
    old.write_text("#!/bin/sh\necho 'ffmpeg version 4.1.11-0+deb10u1 Copyright (c) 2000-2023'\n")
    old.chmod(0o755)
    result = motpub(tmp_path, "worker", path=folder)
    wanted = ".".join(map(str, MIN_VERSION))
    assert_one_line(result, "ffmpeg 4.1.11-0+deb10u1", "too old", f"{wanted} or newer")


def test_serve_refuses_to_start_a_worker_without_ffmpeg_but_serves_with_no_worker(tmp_path):
    empty = bin_dir(tmp_path)
    result = motpub(tmp_path, "serve", "--port", str(closed_port()), path=empty)
    assert_one_line(result, "cannot start a queue worker", "ffmpeg is not installed",
                    "--no-worker")
    (tmp_path / "web").mkdir()
    with running_server(tmp_path / "web", PATH=str(empty)) as server:
        with urllib.request.urlopen(f"{server.url}/readyz", timeout=10) as response:
            assert response.status == 200


@pytest.mark.parametrize("program", ["ffmpeg", "ffprobe"])
def test_worker_names_whichever_program_is_missing(tmp_path, program):
    other = "ffprobe" if program == "ffmpeg" else "ffmpeg"
    result = motpub(tmp_path, "worker", path=bin_dir(tmp_path, other))
    assert_one_line(result, f"{program} is not installed")


def test_doctor_fails_a_secret_key_that_is_not_random_and_warns_of_plain_http(tmp_path,
                                                                              postgres_url):
    weak = "ab" * 20  # long enough for the settings, but anyone could guess it
    result = motpub(tmp_path, "doctor", MOTPUB_DATABASE_URL=postgres_url,
                    MOTPUB_SECRET_KEY=weak, MOTPUB_PUBLIC_URL="http://scan.example.org")
    assert result.returncode == 1
    checks = lines_of(result)
    assert checks["secret-key"].startswith("FAIL secret-key")
    assert "openssl rand -hex 32" in checks["secret-key"]
    assert checks["public-url"].startswith("warn public-url") and "https" in checks["public-url"]
    assert weak not in result.stdout + result.stderr
    assert result.stderr.strip() == "motpub: 1 check(s) failed: secret-key"
