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
import sys
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
