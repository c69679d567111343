"""The three ways media work fails: the editor's file, ffmpeg itself, or a server without
ffmpeg."""

from __future__ import annotations


class MediaError(Exception):
    """A problem with the editor's file: a code naming it and the values it refers to
    (lengths, limits, sizes), which the services turn into words an editor can act on, in
    the reader's language (motpub.media.services.messages).

    Never carries a traceback or ffmpeg's stderr: the values are shown as they are.
    """

    def __init__(self, code: str, **params: str | int):
        super().__init__(code, params)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        values = ", ".join(f"{name}={value}" for name, value in self.params.items())
        return f"{self.code} ({values})" if values else self.code


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
