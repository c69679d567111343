"""The `motpub` command, on Flask's CLI: serve, db, users, tokens, jobs, storage, worker."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from sqlalchemy import exc

from motpub.config import SECRET_KEY_FILE, ConfigError
from motpub.database import check_database, migration_revisions, unit_of_work, upgrade
from motpub.accounts.models import Role
from motpub.avtools.errors import ToolMissing
from motpub.avtools.tools import check_tools
from motpub.processes import Supervisor
from motpub.operations.services.backups import BackupError, create_backup
from motpub.errors import ServiceError
from motpub.operations.services.health import doctor_checks
from motpub.operations.services.restores import restore_backup
from motpub.accounts import services as user_service
from motpub.accounts.services import create_token, create_user, find_user
from motpub.snapshots import SnapshotError
from motpub.storage import StorageError


def build_cli(create_app: Callable[[], Flask]) -> click.Group:
    """The `motpub` console script: Flask's CLI over an app whose commands are registered."""
    return _MotpubGroup(name="motpub", create_app=lambda: create_app(),
                        add_default_commands=True, load_dotenv=False,
                        help="motpub: bilingual media pages for physical things.")


class CommandFailed(click.ClickException):
    """A problem an operator can fix (a setting, the database), said in one line:
    `motpub: <problem>` on standard error, exit status 1, no traceback."""

    def show(self, file=None) -> None:
        click.echo(f"motpub: {self.format_message()}", err=True)


def _explain(error: Exception) -> str | None:
    """One line for an error an operator can fix; None for anything else (a bug)."""
    if isinstance(error, ConfigError):
        return error.one_line()
    if isinstance(error, exc.DBAPIError):
        reason = str(error.orig or error).strip().splitlines()
        return f"database error: {reason[0] if reason else type(error.orig).__name__}"
    if isinstance(error, exc.TimeoutError):
        return "the database did not answer in time"
    return None


class _MotpubGroup(FlaskGroup):
    """Flask's group, with the operator's errors in one line (loading the app included)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as error:
            if (message := _explain(error)) is None:
                raise
            raise CommandFailed(message) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        names = set(click.Group.list_commands(self, ctx))
        try:
            names.update(ctx.ensure_object(ScriptInfo).load_app().cli.list_commands(ctx))
        except Exception as error:
            if (message := _explain(error)) is None:
                raise
            click.echo(f"motpub: {message}", err=True)
        return sorted(names)


@click.group("jobs", help="Transcode jobs.")
def jobs_group() -> None:
    pass


@jobs_group.command("sweep", help="Hand out again the jobs whose worker died; print their ids.")
@with_appcontext
def jobs_sweep() -> None:
    for job_id in _runtime().tasks.sweep_jobs.call_local():
        click.echo(job_id)


@click.group("storage", help="Media storage.")
def storage_group() -> None:
    pass


@storage_group.command("cors", help="Let pages at ORIGINS (such as https://motpub.example.org) "
                       "upload straight to the S3 bucket and stream media from it: sets the "
                       "bucket's CORS rule for motpub and prints the bucket's rules.")
@click.argument("origins", nargs=-1, required=True)
@with_appcontext
def storage_cors(origins: tuple[str, ...]) -> None:
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc \
                or parts.path not in ("", "/") or parts.query:
            raise click.BadParameter(f"{origin!r} is not an origin such as "
                                     "https://motpub.example.org", param_hint="ORIGINS")
    try:
        rules = _runtime().storage.allow_origins([origin.rstrip("/") for origin in origins])
    except StorageError as error:
        raise click.ClickException(str(error)) from None
    if rules is None:
        click.echo("The file backend needs no CORS rules: the app itself serves uploads and "
                   "media.")
        return
    click.echo(json.dumps(rules, indent=2))


def register_commands(app: Flask) -> None:
    for command in (serve, db_group, users_group, tokens_group, jobs_group, storage_group,
                    worker, doctor, backup, restore):
        app.cli.add_command(command)


@click.command("backup", help="Write a consistent backup of the database and every media "
               "object into DEST (a new or empty directory), with a manifest of sizes and "
               "SHA-256 checksums. Safe while motpub serves and transcodes.")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup(dest: Path) -> None:
    runtime = _runtime()
    try:
        summary = create_backup(dest, engine=runtime.engine, storage=runtime.storage,
                                files=_backed_up_files(runtime.settings))
    except (BackupError, SnapshotError, StorageError) as error:
        raise click.ClickException(getattr(error, "message", str(error))) from None
    click.echo(f"backed up the database and {summary.objects} media objects "
               f"({summary.size_bytes} bytes) to {dest}")
    if summary.missing_keys:
        click.echo("the database refers to objects that were already missing from the "
                   "storage:\n  " + "\n  ".join(summary.missing_keys), err=True)


@click.command("restore", help="Restore the backup in SRC into this deployment, which must "
               "be empty; every checksum is verified before anything is written. Stop motpub "
               "first.")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that has tables and delete "
              "the objects in the storage first.")
@with_appcontext
def restore(src: Path, force: bool) -> None:
    runtime = _runtime()
    try:
        summary = restore_backup(src, engine=runtime.engine, storage=runtime.storage,
                                 migration_revisions=migration_revisions(
                                     str(runtime.settings.migrations_dir)),
                                 files=_backed_up_files(runtime.settings), force=force)
    except (BackupError, SnapshotError, StorageError) as error:
        raise click.ClickException(getattr(error, "message", str(error))) from None
    click.echo(f"restored the database (revision {summary.alembic_revision or 'unknown'}) "
               f"and {summary.objects} media objects ({summary.size_bytes} bytes)"
               + (f", and {', '.join(summary.files)}" if summary.files else ""))
    click.echo("run `motpub db upgrade` if this motpub is newer than the backup's")


def _backed_up_files(settings) -> dict[str, Path]:
    # The embedded default's generated key: kept so sessions and signed URLs survive.
    return {SECRET_KEY_FILE: settings.data_dir / SECRET_KEY_FILE}


def _runtime():
    return current_app.extensions["motpub"]


def _fail(error: ServiceError) -> None:
    raise click.ClickException(error.message)


@click.group("db", help="The database schema.")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Apply the migrations up to the newest schema.")
@with_appcontext
def db_upgrade() -> None:
    settings = _runtime().settings
    upgrade(settings.database_url, str(settings.migrations_dir))
    click.echo("database is up to date")


@click.group("users", help="Studio and analytics users.")
def users_group() -> None:
    pass


PASSWORD_RULES = ("At least 12 characters, not only spaces, and not a common password or "
                  "close to one.")


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_group.command("create", help="Create a user; the password is prompted for. "
                     + PASSWORD_RULES)
@click.argument("email")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def users_create(email: str, role: str, password_stdin: bool) -> None:
    password = _read_password(password_stdin)
    with unit_of_work(_runtime().session_factory) as session:
        try:
            user = create_user(session, email=email, password=password, role=role)
        except ServiceError as error:
            _fail(error)
    click.echo(f"created {user.role.value} {user.email}")


def _change_user(email: str, change: Callable, done: str) -> None:
    """Apply `change(session, user)` to the user with `email`, commit and say `done`."""
    with unit_of_work(_runtime().session_factory) as session:
        try:
            user = find_user(session, email)
            change(session, user)
        except ServiceError as error:
            _fail(error)
    click.echo(done.format(email=user.email, role=user.role.value))


@users_group.command("list", help="List the users: email, role, active or deactivated.")
@with_appcontext
def users_list() -> None:
    with _runtime().session_factory() as session:
        for user in user_service.list_users(session):
            state = "active" if user.is_active else "deactivated"
            click.echo(f"{user.email}\t{user.role.value}\t{state}")


@users_group.command("deactivate", help="Refuse the user's logins, end their sessions and "
                     "stop their API tokens.")
@click.argument("email")
@with_appcontext
def users_deactivate(email: str) -> None:
    _change_user(email, lambda session, user: user_service.set_active(session, user, False),
                 "deactivated {email}")


@users_group.command("activate", help="Let a deactivated user log in again.")
@click.argument("email")
@with_appcontext
def users_activate(email: str) -> None:
    _change_user(email, lambda session, user: user_service.set_active(session, user, True),
                 "activated {email}")


@users_group.command("set-role", help="Change a user's role.")
@click.argument("email")
@click.argument("role", type=click.Choice([role.value for role in Role]))
@with_appcontext
def users_set_role(email: str, role: str) -> None:
    _change_user(email, lambda session, user: user_service.set_role(session, user, role),
                 "{email} is now {role}")


@users_group.command("set-password", help="Set a user's password and end their sessions; "
                     "the password is prompted for. " + PASSWORD_RULES)
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def users_set_password(email: str, password_stdin: bool) -> None:
    with _runtime().session_factory() as session:
        try:
            find_user(session, email)  # before the prompt: no password typed for nobody
        except ServiceError as error:
            _fail(error)
    password = _read_password(password_stdin)
    _change_user(email, lambda session, user: user_service.set_password(
        session, user, password), "password set for {email}; their sessions have ended")


@click.group("tokens", help="API tokens.")
def tokens_group() -> None:
    pass


@tokens_group.command("create", help="Create an API token for a user; it is printed once.")
@click.argument("email")
@with_appcontext
def tokens_create(email: str) -> None:
    with unit_of_work(_runtime().session_factory) as session:
        try:
            token = create_token(session, find_user(session, email))
        except ServiceError as error:
            _fail(error)
    click.echo(token)


@tokens_group.command("list", help="List a user's API tokens by prefix (the whole token "
                      "is never stored), with when each was created, last used and revoked.")
@click.argument("email")
@with_appcontext
def tokens_list(email: str) -> None:
    with _runtime().session_factory() as session:
        try:
            tokens = user_service.list_tokens(session, find_user(session, email))
        except ServiceError as error:
            _fail(error)
        click.echo("prefix\tcreated\tlast used\tstate")
        for token in tokens:
            state = f"revoked {_when(token.revoked_at)}" if token.revoked_at else "active"
            click.echo(f"{token.prefix or '(none)'}\t{_when(token.created_at)}\t"
                       f"{_when(token.last_used_at) if token.last_used_at else 'never'}\t"
                       f"{state}")


@tokens_group.command("revoke", help="Revoke an API token, given whole or by the prefix that "
                      "`tokens list` shows.")
@click.argument("token")
@with_appcontext
def tokens_revoke(token: str) -> None:
    with unit_of_work(_runtime().session_factory) as session:
        try:
            api_token = user_service.revoke_token(session, token)
        except ServiceError as error:
            _fail(error)
        email = api_token.user.email
    click.echo(f"revoked {api_token.prefix or 'the token'} of {email}")


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


@click.command("doctor", help="Check every part the settings name (database and its "
               "migrations, storage, queue, ffmpeg, font, secret key, public URL, rate-limit "
               "storage), one line each; exit status 1 if any fails.")
@with_appcontext
def doctor() -> None:
    from motpub.web.ratelimits import check_ratelimit_storage

    runtime = _runtime()
    settings = runtime.settings
    checks = doctor_checks(settings, engine=runtime.engine, storage=runtime.storage,
                           queue=runtime.queue,
                           ratelimit_check=lambda: check_ratelimit_storage(
                               settings.ratelimit_storage_url))
    width = max(len(check.name) for check in checks)
    for check in checks:
        click.echo(f"{check.status:<4} {check.name:<{width}}  {check.detail}")
    if failed := [check.name for check in checks if not check.is_ok]:
        raise CommandFailed(f"{len(failed)} check(s) failed: {', '.join(failed)}")


@click.command("worker", help="Run a queue worker that processes jobs.")
@click.option("--workers", default=2, show_default=True, help="Jobs run at once.")
@with_appcontext
def worker(workers: int) -> None:
    from motpub.jobs import run_worker

    _require_tools()
    check_database(_runtime().engine)
    run_worker(current_app._get_current_object(), workers=workers)


def _require_tools() -> None:
    """A worker without ffmpeg would take every upload and fail it as the file's fault."""
    try:
        check_tools()
    except ToolMissing as error:
        raise CommandFailed(f"cannot start a queue worker: {error.message} "
                            "(or serve with --no-worker)") from None


@click.command("serve", help="Serve motpub: the web app and, by default, a queue worker.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, help="Web worker processes.")
@click.option("--threads", default=4, show_default=True, help="Threads per web worker.")
@click.option("--no-worker", is_flag=True, help="Do not start a queue worker alongside.")
@with_appcontext
def serve(host: str, port: int, workers: int, threads: int, no_worker: bool) -> None:
    from motpub.web.server import prepare_metrics, run_server

    settings = _runtime().settings
    if not no_worker:
        _require_tools()
    if settings.is_embedded:
        upgrade(settings.database_url, str(settings.migrations_dir))
    else:
        check_database(_runtime().engine)  # a server that cannot reach it says so at once
    if not os.environ.get("MOTPUB_PUBLIC_URL"):
        # Codes must point at this server; the web workers read the variable when they start.
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        os.environ["MOTPUB_PUBLIC_URL"] = f"http://{shown_host}:{port}"
        if shown_host != host:
            click.echo("set MOTPUB_PUBLIC_URL to an address phones can reach, "
                       "or printed codes will point at this machine only")
    click.echo(f"motpub is serving at http://{host}:{port}  "
               f"(codes point at {os.environ['MOTPUB_PUBLIC_URL']})")
    click.echo(f"studio: http://{host}:{port}/studio/  data: {settings.data_dir}")
    click.echo("first admin: motpub users create you@example.org --role admin")
    prepare_metrics(settings)  # before the queue worker starts: it writes there too
    queue_worker = None
    if not no_worker:
        # Supervised: started again when it dies (a job is taken up again once its lease
        # runs out), and never outliving this server, or a restart would run two consumers.
        queue_worker = Supervisor([sys.executable, "-m", "motpub", "worker"],
                                  env=os.environ.copy(), on_exit=_worker_exited)
        queue_worker.start()
    try:
        run_server(click.get_current_context().ensure_object(ScriptInfo).create_app,
                   host=host, port=port, workers=workers, threads=threads,
                   access_log_full=settings.access_log_full, log_format=settings.log_format)
    finally:
        if queue_worker is not None:
            queue_worker.stop(timeout_s=30)


def _worker_exited(returncode: int, delay_s: float) -> None:
    click.echo(f"motpub: the queue worker exited with status {returncode}; "
               f"starting another in {delay_s:g} s", err=True)
