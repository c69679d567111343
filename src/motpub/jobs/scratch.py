"""The scratch folder of a worker process, and the sweep of those their process left.

Every temporary folder of a worker (the transcode's work folder, a poster's frame, a file
fetched from S3) is made inside one folder of its process, named for the process: a worker
killed with SIGKILL removes nothing, so the next worker to start on the machine removes the
folders whose process is gone (43 MB and more for a transcode).
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = "motpub-worker-"
_NAME = re.compile(re.escape(PREFIX) + r"(\d+)-(\d+)$")


def process_start(pid: int) -> int | None:
    """When the process started, in clock ticks since boot (Linux); None if it is gone.

    With the pid it names a process exactly: a pid is reused, a pid and start time never.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return 0  # no /proc to ask: the pid alone must do
    fields = stat[stat.rindex(")") + 2:].split()  # after the command name, which may hold spaces
    if fields[0] in ("Z", "X"):  # dead, not yet reaped
        return None
    return int(fields[19])


def _is_running(pid: int, start: int) -> bool:
    started = process_start(pid)
    if started is None:
        return False
    if started == 0 or start == 0:  # not Linux: any process with the pid counts
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return started == start


def sweep_scratch(root: Path) -> list[Path]:
    """Remove the scratch folders under `root` whose worker process has ended."""
    removed = []
    for folder in root.glob(PREFIX + "*"):
        match = _NAME.match(folder.name)
        if match is None or not folder.is_dir():
            continue
        if not _is_running(int(match[1]), int(match[2])):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def use_scratch_folder(root: Path | None = None) -> Path:
    """Sweep what dead workers left under `root` (the system's temporary folder), then make
    this process's scratch folder there, where every later temporary file of the process
    goes. A clean exit removes it."""
    root = Path(root or tempfile.gettempdir())
    for folder in sweep_scratch(root):
        log.info("removed %s, left by a worker that has ended", folder)
    pid = os.getpid()
    folder = root / f"{PREFIX}{pid}-{process_start(pid) or 0}"
    # Registered before the folder exists, so no signal can fall between the two.
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    folder.mkdir(mode=0o700, exist_ok=True)
    tempfile.tempdir = str(folder)
    return folder
