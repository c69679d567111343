"""The first playable rendition: something visitors can stream minutes before the ladder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import ffmpeg

from motpub.avtools.ffmpeg import FFMPEG, run_ffmpeg
from motpub.avtools.hls import Variant, hls_options, measure_variant
from motpub.avtools.ladder import (
    AAC_OPTIONS, encode_command, make_directories, output_frame_rate, plan_ladder)
from motpub.avtools.probe import MediaInfo

PREVIEW = "preview"
# What every phone browser plays from fMP4 HLS as it is.
REMUX_PROFILES = {"Constrained Baseline", "Main", "High"}
REMUX_PIX_FMTS = {"yuv420p", "yuvj420p"}
REMUX_MAX_SHORT_SIDE, REMUX_MAX_LONG_SIDE = 1080, 1920
# A camera original at 20+ Mb/s would stall on mobile data; re-encoding is worth it then.
REMUX_MAX_BIT_RATE = 12_000_000
# A 360p encode only has to be quick: decoding the source is most of the work, and the
# rung's rate cap keeps ultrafast's file (no CABAC, no deblocking) the size superfast's is,
# at a softer picture. Measured on a 32.5 Mb/s 1080p30 source: 9.1 s against 9.6 s.
PREVIEW_PRESET = "ultrafast"
PREVIEW_CRF = 23


def can_remux(info: MediaInfo) -> bool:
    """Whether the source's video can be repackaged into HLS without re-encoding."""
    return (info.kind == "video" and info.video_codec == "h264"
            and info.video_profile in REMUX_PROFILES and info.pix_fmt in REMUX_PIX_FMTS
            # Rotation would travel as a display matrix, which MSE players ignore.
            and info.rotation == 0
            and not info.is_hdr  # HDR is tone-mapped, which takes a re-encode
            and info.short_side <= REMUX_MAX_SHORT_SIDE and info.long_side <= REMUX_MAX_LONG_SIDE
            and (info.frame_rate or 0) <= 60
            and (info.bit_rate or 0) <= REMUX_MAX_BIT_RATE)


def make_first_playable(src: Path, out_dir: Path, info: MediaInfo, *,
                        on_progress: Callable[[float], None] | None = None,
                        stall_timeout_s: float = 120) -> Variant:
    """HLS under out_dir/"preview/": a remux (-c copy) when the video allows, else quick 360p.

    For videos; an audio guide's only rendition is transcode_audio's.
    """
    if can_remux(info):
        command = _remux_command(src, out_dir / PREVIEW, info)
        width, height, frame_rate = info.width, info.height, info.frame_rate
    else:
        rung = plan_ladder(info)[-1]  # 360p, or the source's own size when it is smaller
        # Shown only until the ladder is ready, so time matters more than smoothness here.
        command = encode_command(src, out_dir, info, {PREVIEW: rung}, preset=PREVIEW_PRESET,
                                 crf=PREVIEW_CRF, quick_decode=True)
        width, height = rung.width, rung.height
        frame_rate = output_frame_rate(info, quick_decode=True)
    make_directories(out_dir, [PREVIEW])
    run_ffmpeg(command, duration_s=info.duration_s, on_progress=on_progress,
               stall_timeout_s=stall_timeout_s)
    return measure_variant(out_dir, f"{PREVIEW}/index.m3u8", name=PREVIEW, width=width,
                           height=height, frame_rate=frame_rate)


def _remux_command(src: Path, directory: Path, info: MediaInfo) -> list[str]:
    source = ffmpeg.input(str(src))
    streams = [source["V:0"]]
    options: dict[str, object] = {"c:v": "copy", **hls_options(directory)}
    if info.audio_codec:
        streams.append(source["a:0"])
        # AAC-LC is copied too; anything else (HE-AAC, MP3, PCM, Opus) is cheap to encode.
        is_lc_aac = info.audio_codec == "aac" and info.audio_profile == "LC"
        options.update({"c:a": "copy"} if is_lc_aac else AAC_OPTIONS)
    output = ffmpeg.output(*streams, str(directory / "index.m3u8"), **options)
    return output.overwrite_output().compile(cmd=FFMPEG)
