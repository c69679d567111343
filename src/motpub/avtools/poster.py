"""The poster: one representative frame, small enough for a phone's first paint."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import ffmpeg
from PIL import Image

from motpub.avtools.color import scaled_for_screens
from motpub.avtools.ffmpeg import FFMPEG, run_ffmpeg
from motpub.avtools.probe import MediaInfo

POSTER_LONG_SIDE = 720
# The `thumbnail` filter keeps the most typical frame of a window (not a black fade or a
# flash); 15% in is past titles and fade-ins and well before the credits.
WINDOW_AT = 0.15
WINDOW_S = 3.0
MAX_WINDOW_FRAMES = 100
QUALITIES = (85, 75, 65, 55, 45, 35, 25)
POSTER_TIMEOUT_S = 120


def make_poster(src: Path, out_path: Path, info: MediaInfo, *, max_bytes: int = 100_000) -> Path:
    """Write a JPEG (or WebP, when `out_path` ends in .webp) of at most `max_bytes`."""
    if info.kind != "video":
        raise ValueError("only a video has a poster")
    with tempfile.TemporaryDirectory() as tmp:
        frame_path = Path(tmp) / "frame.png"
        run_ffmpeg(_frame_command(src, frame_path, info), duration_s=None,
                   stall_timeout_s=POSTER_TIMEOUT_S / 2, timeout_s=POSTER_TIMEOUT_S)
        with Image.open(frame_path) as frame:
            picture = frame.convert("RGB")
    image_format = "WEBP" if out_path.suffix.lower() == ".webp" else "JPEG"
    out_path.write_bytes(_smallest_good_enough(picture, image_format, max_bytes))
    return out_path


def _frame_command(src: Path, frame_path: Path, info: MediaInfo) -> list[str]:
    window_s = min(WINDOW_S, info.duration_s)
    start_s = max(0.0, min(info.duration_s * WINDOW_AT, info.duration_s - window_s))
    frames = max(1, min(MAX_WINDOW_FRAMES, round(window_s * (info.frame_rate or 25))))
    scale = min(1.0, POSTER_LONG_SIDE / info.long_side)  # never upscale
    width = max(2, round(info.width * scale / 2) * 2)
    height = max(2, round(info.height * scale / 2) * 2)
    # Seeking before -i is fast; ffmpeg has already turned rotated footage upright.
    source = ffmpeg.input(str(src), ss=f"{start_s:.3f}", t=f"{window_s + 1:.3f}")
    picture = scaled_for_screens(source["V:0"], info, width, height).filter("thumbnail", frames)
    output = ffmpeg.output(picture, str(frame_path), update=1, **{"frames:v": 1})
    return output.overwrite_output().compile(cmd=FFMPEG)


def _smallest_good_enough(picture: Image.Image, image_format: str, max_bytes: int) -> bytes:
    """The best quality that fits, shrinking the picture only if even the lowest does not."""
    while True:
        for quality in QUALITIES:
            buffer = io.BytesIO()
            picture.save(buffer, format=image_format, quality=quality, optimize=True)
            if buffer.tell() <= max_bytes:
                return buffer.getvalue()
        if min(picture.size) <= 16:
            raise ValueError(f"no poster fits in {max_bytes} bytes")
        picture = picture.resize((picture.width * 3 // 4, picture.height * 3 // 4))
