"""The programs the pipeline runs: installed, recent enough, with the encoders it uses.

Checked before a worker starts, so a server without ffmpeg says so at once instead of
failing every upload as if the file were to blame.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

from motpub.avtools.errors import ToolMissing
from motpub.avtools.ffmpeg import FFMPEG, cannot_run
from motpub.avtools.probe import FFPROBE
from motpub.processes import die_with_parent

# fMP4 HLS behind the tee muxer (a muxer per rung with its own `hls_fmp4_init_filename`),
# `-progress` with `out_time_us`, zscale and tonemap: 4.4 is the oldest release line in a
# maintained distribution that has all of them (Ubuntu 22.04; Debian 12 ships 5.1).
MIN_VERSION = (4, 4)
# The ladder encodes H.264 with x264 and the sound with ffmpeg's own AAC encoder.
ENCODERS = ("libx264", "aac")
INSTALL = "install ffmpeg: `apt-get install ffmpeg`, or `./scripts/system-packages install run`"
VERSION_TIMEOUT_S = 20
_VERSION = re.compile(r"version\s+n?(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class Tool:
    name: str
    path: str
    version: str  # as the program prints it: "5.1.6-0+deb12u1", or "N-112345-g..." from git


@dataclass(frozen=True)
class Tools:
    ffmpeg: Tool
    ffprobe: Tool
    encoders: tuple[str, ...]

    def describe(self) -> str:
        return (f"ffmpeg {self.ffmpeg.version} ({self.ffmpeg.path}), ffprobe "
                f"{self.ffprobe.version} ({self.ffprobe.path}); encoders "
                + ", ".join(self.encoders))


def check_tools() -> Tools:
    """ffmpeg and ffprobe as found on PATH; ToolMissing, saying what to install, when one is
    missing, too old or lacks an encoder the pipeline uses."""
    ffmpeg, ffprobe = _tool(FFMPEG), _tool(FFPROBE)
    output = _run([ffmpeg.path, "-hide_banner", "-encoders"], FFMPEG)
    names = {line.split()[1] for line in output.splitlines()
             if len(line.split()) > 1 and len(line.split()[0]) == 6}
    if missing := [encoder for encoder in ENCODERS if encoder not in names]:
        raise ToolMissing(f"ffmpeg at {ffmpeg.path} lacks the encoder(s) "
                          f"{', '.join(missing)}; {INSTALL} (Debian's build has them)")
    return Tools(ffmpeg=ffmpeg, ffprobe=ffprobe, encoders=ENCODERS)


def _tool(name: str) -> Tool:
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(f"{name} is not installed (not found on PATH); {INSTALL}")
    first_line = _run([path, "-version"], name).partition("\n")[0]
    version = first_line.split(" version ", 1)[1].split()[0] if " version " in first_line \
        else "unknown"
    if (match := _VERSION.search(first_line)) is not None:
        found = (int(match[1]), int(match[2]))
        if found < MIN_VERSION:
            wanted = ".".join(map(str, MIN_VERSION))
            raise ToolMissing(f"{name} {version} at {path} is too old: the pipeline needs "
                              f"{wanted} or newer; {INSTALL}")
    # A build from git ("N-112345-g...") names no release: taken as recent.
    return Tool(name=name, path=path, version=version)


def _run(command: list[str], name: str) -> str:
    try:
        result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                                timeout=VERSION_TIMEOUT_S, check=False,
                                preexec_fn=die_with_parent())
    except OSError as error:
        raise ToolMissing(cannot_run(name, error)) from error
    except subprocess.TimeoutExpired:
        raise ToolMissing(f"{name} did not answer `{' '.join(command[1:])}` within "
                          f"{VERSION_TIMEOUT_S} s") from None
    if result.returncode != 0:
        raise ToolMissing(f"{name} at {command[0]} does not run (status {result.returncode}); "
                          f"{INSTALL}")
    return result.stdout.decode("utf-8", "replace")
