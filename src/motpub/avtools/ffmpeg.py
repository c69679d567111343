"""Our ffmpeg runner: progress as a fraction, a stall watchdog, a time limit, a stderr tail.

Command lines are built with ffmpeg-python (`ffmpeg.input(...).output(...).compile()`) and
run here, because ffmpeg-python's own `run()` buffers all output and can neither report
progress nor notice an ffmpeg that has stopped moving.
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO

from motpub.avtools.errors import FFmpegError, ToolMissing
from motpub.processes import die_with_parent

FFMPEG = "ffmpeg"
STDERR_TAIL_LINES = 40
# ffmpeg writes a progress block every 0.5 s; a job row needs no more than this.
PROGRESS_INTERVAL_S = 0.25

__all__ = ["FFMPEG", "FFmpegError", "ToolMissing", "cannot_run", "run_ffmpeg", "tee_target"]


def run_ffmpeg(args: list[str], *, duration_s: float | None,
               on_progress: Callable[[float], None] | None = None,
               stall_timeout_s: float = 120, timeout_s: float | None = None) -> None:
    """Run ffmpeg with `args` (with or without the leading program name, as `compile()` gives).

    `on_progress(fraction)` gets 0..1 of `duration_s`, rising, a few times a second at most.
    ffmpeg is killed, and FFmpegError raised, when its progress stops for `stall_timeout_s`
    or it runs past `timeout_s`. An exception from `on_progress` kills ffmpeg and propagates,
    which is how a caller cancels. ffmpeg's stdout carries the progress, so outputs are files.
    """
    command = [FFMPEG, "-hide_banner", "-nostdin", "-progress", "pipe:1", "-nostats",
               *_without_program(args)]
    # Killed with its worker: an orphaned ffmpeg would burn a core for a job already handed
    # to another worker.
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, preexec_fn=die_with_parent())
    except OSError as error:  # not installed, not executable: nothing to do with the file
        raise ToolMissing(cannot_run(FFMPEG, error)) from error
    # Both pipes are drained by threads so ffmpeg never blocks on a full pipe.
    blocks: queue.SimpleQueue[dict[str, str] | None] = queue.SimpleQueue()
    tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
    readers = [threading.Thread(target=_read_progress, args=(process.stdout, blocks), daemon=True),
               threading.Thread(target=_read_stderr, args=(process.stderr, tail), daemon=True)]
    for reader in readers:
        reader.start()
    failure = None
    try:
        failure = _watch(process, blocks, duration_s=duration_s, on_progress=on_progress,
                         stall_timeout_s=stall_timeout_s, timeout_s=timeout_s)
    finally:
        if failure is not None or process.poll() is None:
            process.kill()
        process.wait()  # reap it: a killed ffmpeg must not linger as a zombie
        for reader in readers:
            reader.join()
        process.stdout.close()
        process.stderr.close()
    if failure is not None:
        raise FFmpegError(failure, stderr_tail="\n".join(tail), returncode=process.returncode)
    if process.returncode != 0:
        raise FFmpegError(f"ffmpeg exited with status {process.returncode}",
                          stderr_tail="\n".join(tail), returncode=process.returncode)


def cannot_run(program: str, error: OSError) -> str:
    """Why `program` did not start, and what to install, in one line for the job row."""
    reason = error.strerror or type(error).__name__
    return (f"the server cannot run {program} ({reason}): install ffmpeg "
            f"(`apt-get install ffmpeg`, or `./scripts/system-packages install run`)")


def _without_program(args: list[str]) -> list[str]:
    if args and os.path.basename(args[0]) == FFMPEG:
        return list(args[1:])
    return list(args)


def _watch(process: subprocess.Popen, blocks: queue.SimpleQueue, *, duration_s: float | None,
           on_progress: Callable[[float], None] | None, stall_timeout_s: float,
           timeout_s: float | None) -> str | None:
    """Follow progress until ffmpeg exits; the reason to kill it, or None."""
    started = last_moved = time.monotonic()
    deadline = started + timeout_s if timeout_s is not None else float("inf")
    last_position = None
    reported, reported_at = -1.0, 0.0
    while True:
        now = time.monotonic()
        try:
            block = blocks.get(timeout=max(0.0, min(last_moved + stall_timeout_s, deadline) - now))
        except queue.Empty:
            if time.monotonic() >= deadline:
                return f"ffmpeg ran longer than {timeout_s:g} s"
            return f"ffmpeg made no progress for {stall_timeout_s:g} s"
        if block is None:  # stdout closed: ffmpeg is finishing its files and exiting
            return _wait_for_exit(process, min(stall_timeout_s, deadline - time.monotonic()))
        position = (block.get("out_time_us"), block.get("total_size"), block.get("frame"))
        if position != last_position:
            last_position, last_moved = position, time.monotonic()
        seconds = _out_time_s(block)
        if on_progress is None or not duration_s or seconds is None:
            continue
        fraction = min(1.0, max(reported, seconds / duration_s))
        now = time.monotonic()
        is_last = block.get("progress") == "end"
        if fraction > reported and (is_last or now - reported_at >= PROGRESS_INTERVAL_S):
            reported, reported_at = fraction, now
            on_progress(fraction)


def _wait_for_exit(process: subprocess.Popen, timeout_s: float) -> str | None:
    try:
        process.wait(timeout=max(0.0, timeout_s))
    except subprocess.TimeoutExpired:
        return f"ffmpeg did not exit within {timeout_s:g} s of finishing its output"
    return None


def _out_time_s(block: dict[str, str]) -> float | None:
    # out_time_ms is microseconds too (a long-standing ffmpeg misnomer); _us is the newer key.
    for key in ("out_time_us", "out_time_ms"):
        value = block.get(key, "")
        if value.lstrip("-").isdigit():
            return max(0, int(value)) / 1_000_000
    return None


def _read_progress(stream: IO[bytes], blocks: queue.SimpleQueue) -> None:
    """Parse `key=value` lines into one dict per block; a block ends with `progress=...`."""
    block: dict[str, str] = {}
    for raw in iter(stream.readline, b""):
        key, _, value = raw.decode("utf-8", "replace").strip().partition("=")
        block[key] = value
        if key == "progress":
            blocks.put(block)
            block = {}
    blocks.put(None)


def _read_stderr(stream: IO[bytes], tail: deque[str]) -> None:
    for raw in iter(stream.readline, b""):
        tail.append(raw.decode("utf-8", "replace").rstrip())


def tee_target(slaves: Iterable[tuple[str, Mapping[str, object], Path]]) -> str:
    """The file name of a tee output: for each (streams, muxer options, file), a muxer that
    writes the selected streams (`"v:0,a"`) of the same encoded packets.

    The tee muxer reads each slave up to an unescaped "|", then each option value up to an
    unescaped ":" or "]", trimming unescaped spaces at both: both levels are escaped here,
    so any path works.
    """
    def escaped(text: str, specials: str) -> str:
        return "".join(f"\\{char}" if char in f"\\'{specials}" else char for char in text)

    def slave(streams: str, options: Mapping[str, object], path: Path) -> str:
        pairs = {"select": streams, **options}
        listed = ":".join(f"{key}={escaped(str(value), ':] ')}" for key, value in pairs.items())
        return escaped(f"[{listed}]{path}", "| ")

    return "|".join(slave(*parts) for parts in slaves)
