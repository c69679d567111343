from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from motpub.accounts.models import ApiToken, User
from tests.support import assert_one_line, closed_port


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
    assert short.exit_code == 1 and "at least 12 characters" in short.output
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
    from motpub.accounts.models import ApiToken

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


STRONG = "violet kettle across the harbour"


def create(runner, email: str, role: str = "editor", password: str = "a long password!"):
    result = runner.invoke(args=["users", "create", email, "--role", role, "--password-stdin"],
                           input=password + "\n")
    assert result.exit_code == 0, result.output
    return result


def new_token(runner, email: str) -> str:
    result = runner.invoke(args=["tokens", "create", email])
    assert result.exit_code == 0, result.output
    return result.output.strip()


@pytest.mark.parametrize("password, reason", [
    ("eleven char", "at least 12 characters"),
    (" " * 20, "must not be only spaces"),
    ("password123456", "too easy to guess"),
    ("qwertyuiopasdf", "too easy to guess"),
    ("ed@example.org2026", "too easy to guess"),
])
def test_a_weak_password_is_refused_in_one_line_by_create_and_set_password(runner, password,
                                                                           reason):
    refused = runner.invoke(args=["users", "create", "ed@example.org", "--role", "editor",
                                  "--password-stdin"], input=password + "\n")
    assert refused.exit_code == 1
    assert refused.output.count("\n") == 1 and reason in refused.output
    create(runner, "ed@example.org")
    refused = runner.invoke(args=["users", "set-password", "ed@example.org",
                                  "--password-stdin"], input=password + "\n")
    assert refused.exit_code == 1
    assert refused.output.count("\n") == 1 and reason in refused.output


def test_tokens_list_shows_prefixes_and_times_but_never_a_whole_token(app, runner, client):
    create(runner, "ed@example.org")
    used, unused = new_token(runner, "ed@example.org"), new_token(runner, "ed@example.org")
    assert client.get("/api/v1/items",
                      headers={"Authorization": f"Bearer {used}"}).status_code == 200
    result = runner.invoke(args=["tokens", "list", "ed@example.org"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "prefix\tcreated\tlast used\tstate" and len(lines) == 3
    assert used not in result.output and unused not in result.output
    rows = {line.split("\t")[0]: line.split("\t") for line in lines[1:]}
    assert set(rows) == {used[:12], unused[:12]}
    assert rows[used[:12]][2].endswith("UTC") and rows[unused[:12]][2] == "never"
    assert rows[used[:12]][3] == "active"
    assert runner.invoke(args=["tokens", "list", "nobody@example.org"]).exit_code == 1


@pytest.mark.parametrize("given", ["whole", "prefix"])
def test_tokens_revoke_by_the_token_or_its_listed_prefix_stops_only_that_token(
        runner, client, given):
    create(runner, "ed@example.org")
    token, other = new_token(runner, "ed@example.org"), new_token(runner, "ed@example.org")
    result = runner.invoke(args=["tokens", "revoke", token if given == "whole" else token[:12]])
    assert result.exit_code == 0, result.output
    assert token[:12] in result.output and "ed@example.org" in result.output
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/items", headers=headers).status_code == 401
    assert client.get("/api/v1/items",
                      headers={"Authorization": f"Bearer {other}"}).status_code == 200
    listed = runner.invoke(args=["tokens", "list", "ed@example.org"]).output
    assert f"{token[:12]}\t" in listed and "\trevoked " in listed
    for unknown in ("mpt_nothing-like-it", token[:11], token + "x"):
        missing = runner.invoke(args=["tokens", "revoke", unknown])
        assert missing.exit_code == 1 and "no such token" in missing.output


def test_users_deactivate_stops_login_and_tokens_and_activate_brings_them_back(
        app, runner, client):
    from tests.support import login

    create(runner, "ed@example.org", password=STRONG)
    token = new_token(runner, "ed@example.org")
    headers = {"Authorization": f"Bearer {token}"}
    assert login(client, "ed@example.org", STRONG).status_code == 302
    result = runner.invoke(args=["users", "deactivate", "ed@example.org"])
    assert result.exit_code == 0 and "deactivated ed@example.org" in result.output
    assert client.get("/studio/").status_code == 302
    assert client.get("/api/v1/items", headers=headers).status_code == 401
    assert login(client, "ed@example.org", STRONG).status_code == 422
    assert "ed@example.org\teditor\tdeactivated" in runner.invoke(args=["users", "list"]).output
    assert runner.invoke(args=["users", "activate", "ed@example.org"]).exit_code == 0
    assert client.get("/api/v1/items", headers=headers).status_code == 200
    assert login(client, "ed@example.org", STRONG).status_code == 302


def test_users_set_role_changes_what_the_user_may_do(runner, client):
    create(runner, "ed@example.org")
    headers = {"Authorization": f"Bearer {new_token(runner, 'ed@example.org')}"}
    assert client.get("/api/v1/analytics/summary", headers=headers).status_code == 403
    result = runner.invoke(args=["users", "set-role", "ed@example.org", "analyst"])
    assert result.exit_code == 0 and "ed@example.org is now analyst" in result.output
    assert client.get("/api/v1/analytics/summary", headers=headers).status_code == 200
    assert runner.invoke(args=["users", "set-role", "ed@example.org", "boss"]).exit_code == 2


def test_users_set_password_replaces_it_and_ends_the_users_sessions(runner, client):
    from tests.support import login

    create(runner, "ed@example.org", password=STRONG)
    assert login(client, "ed@example.org", STRONG).status_code == 302
    result = runner.invoke(args=["users", "set-password", "ed@example.org"],
                           input="another strong passphrase\nanother strong passphrase\n")
    assert result.exit_code == 0, result.output
    assert client.get("/studio/").status_code == 302
    assert login(client, "ed@example.org", STRONG).status_code == 422
    assert login(client, "ed@example.org", "another strong passphrase").status_code == 302
    missing = runner.invoke(args=["users", "set-password", "nobody@example.org",
                                  "--password-stdin"], input=STRONG + "\n")
    assert missing.exit_code == 1 and "no user" in missing.output


def test_the_last_active_admin_is_neither_demoted_nor_deactivated(runner):
    create(runner, "root@example.org", role="admin")
    for args in (["users", "set-role", "root@example.org", "editor"],
                 ["users", "deactivate", "root@example.org"]):
        refused = runner.invoke(args=args)
        assert refused.exit_code == 1 and "last active admin" in refused.output
    create(runner, "second@example.org", role="admin")
    assert runner.invoke(args=["users", "deactivate", "root@example.org"]).exit_code == 0


def motpub(tmp_path, *args: str, stdin: str = "", **settings: str):
    env = {key: value for key, value in os.environ.items() if not key.startswith("MOTPUB_")}
    env.update(MOTPUB_DATA_DIR=str(tmp_path / "data"), **settings)
    return subprocess.run([sys.executable, "-m", "motpub", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=60)


COMMANDS = [("db", "upgrade"), ("users", "create", "a@example.org", "--role", "admin",
                                "--password-stdin"),
            ("tokens", "create", "a@example.org"), ("jobs", "sweep"), ("worker",),
            ("serve", "--port", "1", "--no-worker")]


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
