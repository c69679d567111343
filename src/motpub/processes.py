"""Child processes that never outlive their parent: ffmpeg under a worker, a worker under
`motpub serve`.

A process killed with SIGKILL runs no cleanup, so its children would run on as orphans (an
ffmpeg burning a core for a job already handed to another worker; a second queue consumer
after a restart). Linux's parent-death signal makes the kernel kill the child instead. It is
sent when the *thread* that started the child ends, so start children from a thread that
waits for them (or lives as long as the process).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

PR_SET_PDEATHSIG = 1

# Looked up once, here: the function below runs in the child between fork and exec, where
# as little as possible should happen.
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None


def die_with_parent() -> Callable[[], None]:
    """A `preexec_fn` for subprocess: the child gets SIGKILL when the calling thread ends."""
    parent = os.getpid()

    def arm() -> None:
        if _prctl is None:
            return
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os.kill(os.getpid(), signal.SIGKILL)

    return arm


class Supervisor:
    """Keeps one child process running: started again, after a pause that grows while it
    keeps failing, whenever it exits; stopped with SIGTERM by stop(). The child dies with
    this process, however it ends (the supervising thread lives as long as the process)."""

    def __init__(self, command: list[str], *, env: dict[str, str] | None = None,
                 on_exit: Callable[[int, float], None] | None = None,
                 first_delay_s: float = 1.0, max_delay_s: float = 30.0,
                 healthy_after_s: float = 60.0):
        self.command, self.env, self.on_exit = command, env, on_exit
        self.first_delay_s, self.max_delay_s = first_delay_s, max_delay_s
        self.healthy_after_s = healthy_after_s
        self.process: subprocess.Popen | None = None
        self._owner = os.getpid()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="motpub-supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        if os.getpid() != self._owner:
            # A forked copy (a gunicorn worker leaving through the code that forked it):
            # the child is not ours to stop.
            return
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        delay = self.first_delay_s
        while True:
            with self._lock:
                if self._stopping.is_set():
                    return
                started = time.monotonic()
                self.process = subprocess.Popen(self.command, env=self.env,
                                                preexec_fn=die_with_parent())
            returncode = self.process.wait()
            if self._stopping.is_set():
                return
            lived = time.monotonic() - started
            if lived >= self.healthy_after_s:
                delay = self.first_delay_s
            if self.on_exit is not None:
                self.on_exit(returncode, delay)
            self._stopping.wait(delay)
            delay = min(delay * 2, self.max_delay_s)
