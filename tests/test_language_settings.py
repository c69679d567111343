"""A malformed MOTPUB_LANGUAGES or MOTPUB_FALLBACKS stops every way of starting motpub (its
commands, `motpub serve`, gunicorn on wsgi.py) with one line naming the setting, a non-zero
status and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import assert_one_line

PROJECT_ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"
COMMANDS = [("db", "upgrade"), ("worker",), ("jobs", "sweep"),
            ("serve", "--port", "1", "--no-worker")]
MALFORMED = [
    ({"MOTPUB_LANGUAGES": "zh,klingon,en"}, ("MOTPUB_LANGUAGES", "klingon")),
    ({"MOTPUB_LANGUAGES": "zh,en,zh"}, ("MOTPUB_LANGUAGES", "listed twice")),
    ({"MOTPUB_LANGUAGES": " , "}, ("MOTPUB_LANGUAGES", "no language given")),
    ({"MOTPUB_FALLBACKS": "zh-Hant"}, ("MOTPUB_FALLBACKS", "'zh-Hant' is not LANGUAGE=")),
    ({"MOTPUB_FALLBACKS": "zh-Hant=zh-Hant"}, ("MOTPUB_FALLBACKS", "falls back to itself")),
    ({"MOTPUB_LANGUAGES": "zh,en,ar", "MOTPUB_FALLBACKS": "ar=elvish"},
     ("MOTPUB_FALLBACKS", "elvish")),
]


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MOTPUB_")}
    env.update(MOTPUB_DATA_DIR=str(tmp_path / "data"), **settings)
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT / "src"), str(PROJECT_ROOT)])
    return env


def run(tmp_path: Path, command: list[str], settings: dict[str, str], *, cwd: Path):
    return subprocess.run(command, env=environment(tmp_path, **settings), cwd=cwd,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("settings", "expected"), MALFORMED)
def test_a_malformed_language_setting_stops_serve_in_one_line(tmp_path, settings, expected):
    result = run(tmp_path, [sys.executable, "-m", "motpub", "serve", "--no-worker"], settings,
                 cwd=tmp_path)
    assert_one_line(result, "invalid configuration", *expected)


def test_a_malformed_language_setting_stops_every_command_in_one_line(tmp_path):
    settings, expected = MALFORMED[0]
    for command in COMMANDS:
        result = run(tmp_path, [sys.executable, "-m", "motpub", *command], settings,
                     cwd=tmp_path)
        assert_one_line(result, "invalid configuration", *expected)


def test_both_malformed_language_settings_are_named_at_once(tmp_path):
    result = run(tmp_path, [sys.executable, "-m", "motpub", "serve", "--no-worker"],
                 {"MOTPUB_LANGUAGES": "zh;en", "MOTPUB_FALLBACKS": "zh=en=fr"}, cwd=tmp_path)
    assert_one_line(result, "MOTPUB_LANGUAGES", "MOTPUB_FALLBACKS")


def test_gunicorn_with_the_projects_config_stops_in_one_line(tmp_path):
    result = run(tmp_path, [str(GUNICORN), "-c", "gunicorn.conf.py", "-b", "127.0.0.1:0",
                            "wsgi:app"], {"MOTPUB_LANGUAGES": "zh,klingon"}, cwd=PROJECT_ROOT)
    assert_one_line(result, "invalid configuration", "MOTPUB_LANGUAGES", "klingon")


def test_gunicorn_on_wsgi_alone_stops_instead_of_booting_workers_again(tmp_path):
    # Without the config file the settings are first read in the worker: it ends with
    # gunicorn's "failed to boot" status, so the arbiter shuts down at once.
    result = run(tmp_path, [str(GUNICORN), "--pythonpath", str(PROJECT_ROOT), "-b",
                            "127.0.0.1:0", "--no-control-socket", "wsgi:app"],
                 {"MOTPUB_FALLBACKS": "zh-Hant"}, cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("motpub: ")]
    assert "invalid configuration" in line and "MOTPUB_FALLBACKS" in line
    assert "Worker failed to boot" in result.stderr
