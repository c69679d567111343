from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from sqlalchemy import select

from motpub.domain import ApiToken, User


def test_users_create_reads_password_from_stdin(app, runner):
    result = runner.invoke(args=["users", "create", "Ed@Example.org", "--role", "editor",
                                 "--password-stdin"], input="a long password\n")
    assert result.exit_code == 0, result.output
    with app.extensions["motpub"].session_factory() as session:
        user = session.scalar(select(User))
    assert user.email == "ed@example.org" and user.role.value == "editor"
    assert user.password_hash.startswith("$argon2id$")


def test_users_create_prompts_for_the_password_twice(app, runner):
    result = runner.invoke(args=["users", "create", "a@example.org", "--role", "admin"],
                           input="a long password\na long password\n")
    assert result.exit_code == 0, result.output


def test_users_create_rejects_bad_input_clearly(runner):
    short = runner.invoke(args=["users", "create", "a@example.org", "--role", "admin",
                                "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    role = runner.invoke(args=["users", "create", "a@example.org", "--role", "boss",
                               "--password-stdin"], input="a long password\n")
    assert role.exit_code == 2
    runner.invoke(args=["users", "create", "b@example.org", "--role", "admin",
                        "--password-stdin"], input="a long password\n")
    again = runner.invoke(args=["users", "create", "b@example.org", "--role", "admin",
                                "--password-stdin"], input="a long password\n")
    assert again.exit_code == 1 and "exists" in again.output


def test_tokens_create_prints_only_the_token_and_stores_its_hash(app, runner, client):
    runner.invoke(args=["users", "create", "ed@example.org", "--role", "editor",
                        "--password-stdin"], input="a long password\n")
    result = runner.invoke(args=["tokens", "create", "ed@example.org"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert "\n" not in token and len(token) > 30
    with app.extensions["motpub"].session_factory() as session:
        stored = session.scalar(select(ApiToken))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash
    response = client.get("/api/v1/items", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_tokens_create_for_unknown_user_fails(runner):
    result = runner.invoke(args=["tokens", "create", "nobody@example.org"])
    assert result.exit_code == 1 and "no user" in result.output


def test_console_script_upgrades_a_fresh_embedded_database(tmp_path):
    env = {**os.environ, "MOTPUB_DATA_DIR": str(tmp_path / "data")}
    env.pop("MOTPUB_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "motpub", "db", "upgrade"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    import sqlite3

    connection = sqlite3.connect(tmp_path / "data" / "motpub.db")
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    assert {"item", "code", "scan", "user", "api_token", "alembic_version"} <= tables


def test_production_settings_without_secret_fail_fast(tmp_path):
    env = {**os.environ, "MOTPUB_DATA_DIR": str(tmp_path),
           "MOTPUB_DATABASE_URL": "postgresql://postgres@127.0.0.1/motpub_test"}
    env.pop("MOTPUB_SECRET_KEY", None)
    result = subprocess.run([sys.executable, "-m", "motpub", "db", "upgrade"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "MOTPUB_SECRET_KEY" in result.stderr


def test_token_use_is_recorded_without_a_write_per_request(app, client, editor_token):
    from motpub.domain import ApiToken

    for _ in range(3):
        assert client.get("/api/v1/items",
                          headers={"Authorization": f"Bearer {editor_token}"}).status_code == 200
    with app.extensions["motpub"].session_factory() as session:
        token = session.scalar(select(ApiToken))
    assert token.last_used_at is not None


def test_storage_cors_checks_origins_and_says_the_file_backend_needs_none(runner):
    result = runner.invoke(args=["storage", "cors", "https://motpub.example.org"])
    assert result.exit_code == 0 and "file backend needs no CORS" in result.output
    for bad in ("motpub.example.org", "https://motpub.example.org/studio", "ftp://x.org"):
        refused = runner.invoke(args=["storage", "cors", bad])
        assert refused.exit_code == 2 and "is not an origin" in refused.output


def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the test connects to it


def motpub(tmp_path, *args: str, stdin: str = "", **settings: str):
    env = {key: value for key, value in os.environ.items() if not key.startswith("MOTPUB_")}
    env.update(MOTPUB_DATA_DIR=str(tmp_path / "data"), **settings)
    return subprocess.run([sys.executable, "-m", "motpub", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=60)


COMMANDS = [("db", "upgrade"), ("users", "create", "a@example.org", "--role", "admin",
                                "--password-stdin"),
            ("tokens", "create", "a@example.org"), ("jobs", "sweep"), ("worker",),
            ("serve", "--port", "1", "--no-worker")]


def assert_one_line(result, *expected: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("motpub: ")
    for text in expected:
        assert text in line


def test_every_command_reports_a_malformed_setting_in_one_line_without_a_traceback(tmp_path):
    for command in COMMANDS:
        result = motpub(tmp_path, *command, stdin="a long password\n",
                        MOTPUB_JOB_LEASE_S="soon", MOTPUB_PUBLIC_URL="scan.example.org")
        assert_one_line(result, "invalid configuration", "MOTPUB_JOB_LEASE_S",
                        "MOTPUB_PUBLIC_URL")
    help_page = motpub(tmp_path, "--help", MOTPUB_JOB_LEASE_S="soon")
    assert "Traceback" not in help_page.stderr
    assert help_page.stderr.startswith("motpub: invalid configuration")


def test_every_command_reports_an_unreachable_database_in_one_line(tmp_path):
    url = f"postgresql://motpub@127.0.0.1:{closed_port()}/motpub"
    for command in COMMANDS:
        result = motpub(tmp_path, *command, stdin="a long password\n",
                        MOTPUB_DATABASE_URL=url, MOTPUB_SECRET_KEY="s" * 40)
        assert_one_line(result, "database error", "Connection refused")
