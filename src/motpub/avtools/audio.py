"""Audio guides (MP3, M4A, AAC, WAV) as an audio-only HLS rendition."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import ffmpeg

from motpub.avtools.ffmpeg import FFMPEG, run_ffmpeg
from motpub.avtools.hls import Variant, hls_options, measure_variant
from motpub.avtools.ladder import AAC_OPTIONS
from motpub.avtools.probe import MediaInfo

AUDIO = "audio"


def transcode_audio(src: Path, out_dir: Path, info: MediaInfo, *,
                    on_progress: Callable[[float], None] | None = None,
                    stall_timeout_s: float = 120) -> Variant:
    """AAC-LC 128 kb/s stereo 48 kHz in 4 s fMP4 segments under out_dir/"audio/"."""
    if info.audio_codec is None:
        raise ValueError("the source has no audio stream")
    directory = out_dir / AUDIO
    directory.mkdir(parents=True, exist_ok=True)
    # Only the sound: an MP3's cover picture would otherwise become a video stream.
    stream = ffmpeg.input(str(src))["a:0"]
    output = ffmpeg.output(stream, str(directory / "index.m3u8"),
                           **AAC_OPTIONS, **hls_options(directory))
    run_ffmpeg(output.overwrite_output().compile(cmd=FFMPEG), duration_s=info.duration_s,
               on_progress=on_progress, stall_timeout_s=stall_timeout_s)
    return measure_variant(out_dir, f"{AUDIO}/index.m3u8", name=AUDIO, width=0, height=0,
                           frame_rate=None, is_audio_only=True)
