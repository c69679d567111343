"""The three ways media work fails: the editor's file, ffmpeg itself, or a server without
ffmpeg."""

from __future__ import annotations


class MediaError(Exception):
    """A problem with the editor's file, told in words an editor can act on, in both languages.

    Never carries a traceback or ffmpeg's stderr: the reasons are shown as they are.
    """

    def __init__(self, reason_en: str, reason_zh: str):
        super().__init__(reason_en, reason_zh)
        self.reason_en = reason_en
        self.reason_zh = reason_zh

    def __str__(self) -> str:
        return f"{self.reason_en} / {self.reason_zh}"


class FFmpegError(Exception):
    """ffmpeg itself failed, stalled or ran too long; for the job row and the ops page."""

    def __init__(self, message: str, *, stderr_tail: str = "", returncode: int | None = None):
        super().__init__(message)
        self.message = message
        self.stderr_tail = stderr_tail
        self.returncode = returncode

    def __str__(self) -> str:
        last_line = self.stderr_tail.strip().rpartition("\n")[2]
        return f"{self.message}: {last_line}" if last_line else self.message


class ToolMissing(Exception):
    """A program the pipeline runs (ffmpeg, ffprobe) cannot be started, or is unfit: the
    server's problem, never the file's, so the job waits for the operator to install it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
