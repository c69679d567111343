"""scripts/system-packages against a fake dpkg database: what it finds missing, and what it
does about it as root, through sudo, or as a user who can do neither. The real dpkg-query
reads the fake database; PATH holds only the tools the script uses, so nothing of this
machine's own packages leaks in, and apt-get is a stub that records its calls."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from motpub.config import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "system-packages"
TOOLS = ("bash", "dpkg-query", "awk", "tr", "id", "env", "sed", "dirname", "true")
EVERYTHING = ("ffmpeg fonts-noto-core fonts-noto-cjk python3-venv npm chromium zbar-tools "
              "poppler-utils postgresql redis-server wrk").split()


@pytest.fixture
def world():
    """A folder everyone may read (the script also runs as `nobody` here): a bin/ of the tools,
    an apt-get stub that logs its calls, and an empty dpkg database."""
    root = Path(tempfile.mkdtemp(prefix="motpub-system-packages-"))
    root.chmod(0o755)
    (root / "bin").mkdir()
    for tool in TOOLS:
        (root / "bin" / tool).symlink_to(shutil.which(tool))
    log = root / "apt.log"
    log.touch()
    log.chmod(0o666)
    _stub(root / "bin" / "apt-get", f'echo "apt-get $*" >> {log}')
    (root / "dpkg" / "updates").mkdir(parents=True)
    (root / "dpkg" / "info").mkdir()
    (root / "dpkg" / "status").touch()
    for folder in (root / "dpkg", root / "dpkg" / "updates", root / "dpkg" / "info"):
        folder.chmod(0o755)
    yield root
    shutil.rmtree(root)


def _stub(path: Path, body: str) -> None:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def installed(world: Path, packages: dict[str, str]) -> None:
    """Write the fake dpkg database: package name -> its Status field."""
    stanzas = [f"Package: {name}\nStatus: {status}\nArchitecture: amd64\nVersion: 1.0\n"
               for name, status in packages.items()]
    (world / "dpkg" / "status").write_text("\n".join(stanzas))


def run(world: Path, *args: str, user: str | None = None,
        script: Path = SCRIPT) -> subprocess.CompletedProcess:
    env = {"PATH": str(world / "bin"), "SYSTEM_PACKAGES_DPKG_ADMINDIR": str(world / "dpkg")}
    extra = {}
    if user is not None:
        entry = pwd.getpwnam(user)
        extra = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    return subprocess.run([str(script), *args], env=env, capture_output=True, text=True,
                          timeout=60, cwd=world, stdin=subprocess.DEVNULL, **extra)


def apt_calls(world: Path) -> str:
    return (world / "apt.log").read_text()


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="runs the script as another user")


def test_missing_lists_what_the_dpkg_database_does_not_have_installed(world):
    installed(world, {"ffmpeg": "install ok installed",
                      "chromium": "hold ok installed",  # held is still installed
                      "fonts-noto-cjk": "deinstall ok config-files",  # removed, not purged
                      "wrk": "install ok installed"})
    result = run(world, "missing", "run", "setup", "test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["fonts-noto-core", "fonts-noto-cjk", "python3-venv", "npm",
                                     "zbar-tools", "poppler-utils", "postgresql",
                                     "redis-server"]


def test_a_python_with_ensurepip_and_an_npm_from_elsewhere_count_as_installed(world):
    # A python.org or container Python needs no python3-venv; NodeSource's nodejs brings npm.
    (world / "bin" / "python3").symlink_to(sys.executable)
    _stub(world / "bin" / "npm", "exit 0")
    result = run(world, "missing", "setup")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def test_with_everything_installed_install_calls_no_apt(world):
    installed(world, {name: "install ok installed" for name in EVERYTHING})
    result = run(world, "install", "run", "setup", "test", "bench")
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")
    assert apt_calls(world) == ""


@needs_root
def test_as_root_install_runs_apt_get_for_exactly_the_missing_packages(world):
    installed(world, {name: "install ok installed" for name in EVERYTHING if name != "zbar-tools"
                      and name != "redis-server"})
    result = run(world, "install", "test")
    assert result.returncode == 0, result.stderr
    assert apt_calls(world).splitlines() == [
        "apt-get update -qq",
        "apt-get install -y -qq --no-install-recommends zbar-tools redis-server"]


@needs_root
def test_dry_run_prints_the_commands_and_runs_none(world):
    result = run(world, "install", "--dry-run", "run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith(
        "apt-get install -y -qq --no-install-recommends ffmpeg fonts-noto-core fonts-noto-cjk")
    assert apt_calls(world) == ""


@needs_root
def test_a_user_with_passwordless_sudo_installs_through_sudo_n(world):
    # The stub stands for a sudo that lets this user in without a password.
    _stub(world / "bin" / "sudo", 'if [ "$1" = -n ]; then shift; fi; exec "$@"')
    result = run(world, "install", "--dry-run", "run", user="nobody")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -qq",
        "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
        "--no-install-recommends ffmpeg fonts-noto-core fonts-noto-cjk"]


@needs_root
def test_a_user_without_root_or_sudo_is_told_the_one_apt_line_and_nothing_is_run(world):
    result = run(world, "install", "run", "test", user="nobody")
    assert result.returncode == 1
    assert ("apt-get update && apt-get install -y --no-install-recommends ffmpeg "
            "fonts-noto-core fonts-noto-cjk chromium zbar-tools poppler-utils postgresql "
            "redis-server"
            in result.stderr)
    assert apt_calls(world) == ""


@needs_root
@pytest.mark.parametrize("command", ["serve", "test"])
def test_serve_and_test_stop_before_setting_anything_up_when_packages_cannot_be_installed(
        world, command):
    project = world / "project"
    (project / "scripts").mkdir(parents=True)
    for name in ("system-packages", command):
        shutil.copy(PROJECT_ROOT / "scripts" / name, project / "scripts" / name)
    project.chmod(0o755)
    (world / "bin" / "python3").symlink_to(sys.executable)  # would make a .venv if it got there
    result = run(world, user="nobody", script=project / "scripts" / command)
    assert result.returncode == 1
    assert "apt-get install -y --no-install-recommends" in result.stderr
    assert sorted(path.name for path in project.iterdir()) == ["scripts"]
    assert apt_calls(world) == ""


def test_unknown_section_is_refused(world):
    result = run(world, "list", "tests")
    assert result.returncode == 1
    assert "unknown section: tests" in result.stderr
