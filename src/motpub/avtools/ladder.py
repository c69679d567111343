"""The HLS ladder: which rungs a source gets, and one ffmpeg run that encodes them all."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from motpub.avtools.color import output_tags, scaled_for_screens
from motpub.avtools.ffmpeg import FFMPEG, run_ffmpeg, tee_target
from motpub.avtools.hls import PRIVATE_OUTPUT_OPTIONS, Variant, hls_muxer_options, measure_variant
from motpub.avtools.probe import MediaInfo

# (name, short side, video bit rate cap in bps), measured on the short side so a portrait
# 1080x1920 phone clip gets the same rungs as a landscape 1920x1080 one.
LADDER = (
    ("1080p", 1080, 5_000_000),
    ("720p", 720, 2_800_000),
    ("480p", 480, 1_400_000),
    ("360p", 360, 800_000),
)
# A source this much taller than a rung (a 900p screen capture) also keeps the rung above,
# at its own size, so its detail is not thrown away.
BETWEEN_RUNGS_RATIO = 1.1
# veryfast, measured on a 1080p25 test clip, all four rungs: 2.5 CPU-seconds per second of
# video (a 5-minute upload in about 6 minutes on 2 cores). faster costs 40% more for files
# within 7%; superfast saves 20% but its lower rungs come out 1.8-2x larger at the same CRF.
X264_PRESET = "veryfast"
CRF = 21
# The rungs below the top, seen on phone screens, are encoded faster than it: without x264's
# inter sub-partitions (as superfast does; 5 to 8 % of the ladder's CPU time, for 0.15 dB
# PSNR on each of them), the 8x8 intra blocks and weighted B-prediction (2 % more, for no
# measurable loss), and with one quarter-pixel motion refinement instead of two (subme=1:
# 8 to 10 % more, for 0.2 to 0.45 dB). This keeps the whole ladder within 1.5 times the time
# of its top rung alone; mbtree and the lookahead stay on, so each rung still costs fewer
# bits than the one above.
LOWER_RUNG_X264_PARAMS = "partitions=i4x4:weightb=0:subme=1"
GOP_S = 2  # keyframes every 2 s, at the same times in every rung, so players switch cleanly
MAX_FRAME_RATE = 60
QUICK_DECODE_THREADS = min(16, 2 * (os.cpu_count() or 1))
AAC_OPTIONS = {"c:a": "aac", "b:a": "128k", "ac": 2, "ar": 48000}
# Encoders behind the tee muxer: fMP4 needs the codec headers out of band, and ffmpeg asks
# encoders for that only when the muxer itself says so, which the tee does not.
TEE_GLOBAL_HEADER = "+global_header"


@dataclass(frozen=True)
class Rung:
    name: str  # "1080p", "720p", "480p", "360p"
    short_side: int
    width: int  # even, aspect and orientation of the source's display size
    height: int
    video_bitrate: int  # cap, bps
    is_top: bool  # the ladder's largest rung; the others are encoded faster


def plan_ladder(info: MediaInfo) -> list[Rung]:
    """The rungs for a video, highest first: never above the source; 360p always."""
    if info.kind != "video":
        raise ValueError("only a video has a ladder")
    rungs = []
    for index, (name, short_side, bitrate) in enumerate(LADDER):
        below = LADDER[index + 1][1] if index + 1 < len(LADDER) else 0
        if info.short_side >= short_side:
            rungs.append(_rung(info, name, short_side, bitrate, is_top=not rungs))
        elif info.short_side > below * BETWEEN_RUNGS_RATIO:
            rungs.append(_rung(info, name, info.short_side, bitrate, is_top=not rungs))
    return rungs


def _rung(info: MediaInfo, name: str, short_side: int, bitrate: int, *, is_top: bool) -> Rung:
    short, long = info.short_side, info.long_side
    if short_side >= short:  # at the source's size: never upscale, only round to even
        short_side, long_side = short - short % 2, long - long % 2
    else:
        long_side = round(long * short_side / short / 2) * 2
    width, height = (long_side, short_side) if info.width >= info.height else (
        short_side, long_side)
    return Rung(name=name, short_side=short_side, width=width, height=height,
                video_bitrate=bitrate, is_top=is_top)


def output_frame_rate(info: MediaInfo, *, quick_decode: bool = False) -> float | None:
    """The source's rate, halved while above 60 (a 120 fps slow-motion clip plays at 60);
    halved once more by a quick decode that skips the frames B-frames nothing refers to."""
    rate = info.frame_rate
    while rate and rate > MAX_FRAME_RATE:
        rate /= 2
    if rate and quick_decode and info.has_b_frames:
        rate /= 2
    return round(rate, 3) if rate else None


def transcode_ladder(src: Path, out_dir: Path, info: MediaInfo, rungs: list[Rung], *,
                     on_progress: Callable[[float], None] | None = None,
                     stall_timeout_s: float = 120, threads: int = 0) -> list[Variant]:
    """Encode every rung in one ffmpeg run (decode once, split); Variants measured, as given."""
    renditions = {rung.name: rung for rung in rungs}
    command = encode_command(src, out_dir, info, renditions, threads=threads)
    make_directories(out_dir, renditions)
    run_ffmpeg(command, duration_s=info.duration_s, on_progress=on_progress,
               stall_timeout_s=stall_timeout_s)
    return [measure_variant(out_dir, f"{name}/index.m3u8", name=name, width=rung.width,
                            height=rung.height, frame_rate=output_frame_rate(info))
            for name, rung in renditions.items()]


def encode_command(src: Path, out_dir: Path, info: MediaInfo, renditions: dict[str, Rung], *,
                   preset: str = X264_PRESET, crf: int = CRF, threads: int = 0,
                   quick_decode: bool = False) -> list[str]:
    """The ffmpeg command line for `renditions` (directory name -> rung) under `out_dir`.

    ffmpeg turns rotated phone footage upright before our filters (autorotate), so rung
    sizes are display sizes. `quick_decode` (for a stopgap rendition) skips the deblocking
    filter and, when the source has B-frames, the frames nothing refers to: about half the
    decoding, at up to half the frame rate. It also decodes more frames at once and scales
    with the cheapest filter, since such a rendition is bound by decoding alone.
    """
    rate = output_frame_rate(info, quick_decode=quick_decode)
    decode_options, scale_flags, audio_options = _decoding(info, quick_decode)
    source = ffmpeg.input(str(src), **decode_options)
    video = source["V:0"]  # capital V: not an attached cover picture
    if rate and rate != info.frame_rate:
        video = video.filter("fps", rate)
    if info.is_hdr:  # tone-mapped once, at the largest rung's size; the cascade goes on from it
        top = max(renditions.values(), key=lambda rung: rung.width * rung.height)
        video = scaled_for_screens(video, info, top.width, top.height)
    pictures = _cascade(video, renditions, scale_flags)
    # One output through the tee muxer, a muxer per rung: the audio is encoded once for all
    # of them (an AAC encode is 1 CPU-second a minute), each video stream by its own encoder.
    streams, options, slaves = [], {}, []
    for index, (name, rung) in enumerate(renditions.items()):
        streams.append(pictures[name].filter("setsar", 1).filter("format", "yuv420p"))
        video_options = {**_x264_options(rung, rate, preset, crf), **output_tags(info)}
        video_options["flags:v"] += TEE_GLOBAL_HEADER
        options.update(_for_stream(video_options, f"v:{index}"))
        selected = f"v:{index},a" if info.audio_codec else f"v:{index}"
        directory = out_dir / name
        slaves.append((selected, hls_muxer_options(directory), directory / "index.m3u8"))
    if info.audio_codec:
        streams.append(source["a:0"])
        options.update(audio_options)
        if audio_options["c:a"] != "copy":
            options["flags:a"] = TEE_GLOBAL_HEADER
    if threads:
        options["threads"] = threads
    output = ffmpeg.output(*streams, tee_target(slaves), f="tee", **options,
                           **PRIVATE_OUTPUT_OPTIONS)
    return output.overwrite_output().compile(cmd=FFMPEG)


def _decoding(info: MediaInfo, quick: bool) -> tuple[dict[str, object], str | None, dict]:
    """The input options, scaler flags and audio options of a full or a quick decode."""
    audio_options: dict[str, object] = dict(AAC_OPTIONS)
    if not quick:
        return {}, None, audio_options
    # Frame threads beyond the cores keep them busy while a frame waits for the one it
    # refers to: 1.6 -> 1.8 cores on a 2-core machine.
    decode_options: dict[str, object] = {"skip_loop_filter": "all",
                                         "threads": QUICK_DECODE_THREADS}
    if info.has_b_frames:
        decode_options["skip_frame"] = "noref"
    if info.audio_codec == "aac" and info.audio_profile == "LC":
        audio_options = {"c:a": "copy"}
    return decode_options, "fast_bilinear", audio_options


def _for_stream(options: dict[str, object], specifier: str) -> dict[str, object]:
    """`options` for the output stream `specifier` ("v:1") alone: "crf:v:1", "c:v:1"."""
    return {f"{key.split(':')[0]}:{specifier}": value for key, value in options.items()}


def _cascade(video, renditions: dict[str, Rung], flags: str | None = None) -> dict:
    """Each rung's picture, scaled from the next larger rung's rather than from the source.

    ffmpeg runs the whole filter graph in one thread, beside the encoders: scaling 480p and
    360p from the 720p picture instead of the full-size frame takes most of the scaling off
    that thread. The 720p rung, the one compared against the source, is scaled from it.
    """
    pictures = {}
    larger = video
    by_size = sorted(renditions.items(), key=lambda pair: -pair[1].width * pair[1].height)
    for index, (name, rung) in enumerate(by_size):
        scaled = larger.filter("scale", rung.width, rung.height,
                               **({"flags": flags} if flags else {}))
        if index + 1 < len(by_size):
            copies = scaled.filter_multi_output("split", 2)
            pictures[name], larger = copies[0], copies[1]
        else:
            pictures[name] = scaled
    return pictures


def make_directories(out_dir: Path, names: Iterable[str]) -> None:
    for name in names:
        (out_dir / name).mkdir(parents=True, exist_ok=True)


def _x264_options(rung: Rung, rate: float | None, preset: str, crf: int) -> dict[str, object]:
    gop = round(GOP_S * (rate or 30))
    lower = {"x264-params": LOWER_RUNG_X264_PARAMS} \
        if preset == X264_PRESET and not rung.is_top and LOWER_RUNG_X264_PARAMS else {}
    return {
        **lower,
        "c:v": "libx264",
        "preset": preset,
        "profile:v": "high",
        # Capped CRF: constant quality, but never above the rung's rate over a 2x buffer.
        "crf": crf,
        "maxrate": rung.video_bitrate,
        "bufsize": 2 * rung.video_bitrate,
        # Closed 2 s GOPs: by time (also right for variable frame rate phone footage), with
        # -g as the frame-count ceiling and no scene-cut keyframes that would differ per rung.
        "force_key_frames": f"expr:gte(t,n_forced*{GOP_S})",
        "g": gop,
        "keyint_min": gop,
        "sc_threshold": 0,
        "flags:v": "+cgop",
    }
