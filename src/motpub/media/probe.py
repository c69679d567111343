"""What an uploaded file holds (ffprobe), and whether we take it."""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path

from motpub.media.errors import MediaError, ToolMissing
from motpub.media.ffmpeg import cannot_run
from motpub.processes import die_with_parent

FFPROBE = "ffprobe"
PROBE_TIMEOUT_S = 60
# Demuxers that "succeed" on files that are not audio or video: a text file is ANSI art to
# ffmpeg (tty), a photo is a one-frame image2/*_pipe stream.
_NOT_MEDIA_FORMATS = {"tty", "image2", "gif"}

HDR_TRANSFERS = {"smpte2084", "arib-std-b67"}
# Containers whose header declares the duration before the data: a file cut short still
# probes as whole, so its packets are checked against the declared length.
_INDEXED_FORMATS = {"mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm"}
PACKET_SCAN_TIMEOUT_S = 600
# How much shorter than declared a file's packets may end: muxers round, and an edit list
# may trim the start. Beyond it the file was cut short.
INCOMPLETE_TOLERANCE_S = 0.5
# The smallest picture we take. Below it there is nothing to see, and the ladder's encoders
# refuse it after minutes of work, on every attempt: refused at probe time, for good.
MIN_SIDE = 16

__all__ = ["MediaError", "MediaInfo", "check_media", "probe"]


@dataclass(frozen=True)
class MediaInfo:
    kind: str  # "video" or "audio"
    duration_s: float
    width: int  # display size: sample aspect ratio and rotation applied; 0 for audio
    height: int
    rotation: int  # clockwise degrees a player turns the stored picture (the `rotate` tag)
    video_codec: str | None
    video_profile: str | None
    pix_fmt: str | None
    frame_rate: float | None
    audio_codec: str | None
    audio_channels: int | None
    audio_sample_rate: int | None
    bit_rate: int | None
    format_name: str
    audio_profile: str | None = None  # "LC", "HE-AAC"...: only AAC-LC is copied as is
    # B-frames: the stream has frames no other frame refers to, which a quick decode may skip.
    has_b_frames: bool = False
    # The video's transfer characteristic as ffprobe names it: "bt709", "smpte2084" (PQ,
    # HDR10 and Dolby Vision), "arib-std-b67" (HLG, what phones record by default)...
    color_transfer: str | None = None

    @property
    def is_hdr(self) -> bool:
        """High dynamic range: shown as is on an ordinary screen it looks grey and flat."""
        return self.color_transfer in HDR_TRANSFERS

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)

    @property
    def long_side(self) -> int:
        return max(self.width, self.height)


def probe(path: Path) -> MediaInfo:
    """Read a local file's streams; MediaError when it holds nothing we can play."""
    if not Path(path).is_file():
        raise FileNotFoundError(path)
    try:
        result = subprocess.run(
            [FFPROBE, "-v", "error", "-print_format", "json", "-show_streams", "-show_format",
             str(path)],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=PROBE_TIMEOUT_S, check=False,
            preexec_fn=die_with_parent())
    except subprocess.TimeoutExpired:
        raise MediaError("the file could not be read in time",
                         "读取文件超时，文件可能已损坏") from None
    except OSError as error:  # ffprobe missing or not executable: the server's problem
        raise ToolMissing(cannot_run(FFPROBE, error)) from error
    try:
        data = json.loads(result.stdout or b"{}")
    except ValueError:
        data = {}
    if result.returncode != 0 or "format" not in data:
        raise MediaError("the file is not a video or audio format we can read",
                         "无法识别文件格式：这不是可读取的视频或音频文件")
    info = _media_info(data)
    if any(name in _INDEXED_FORMATS for name in info.format_name.split(",")):
        _check_complete(path, info)
    return info


def _check_complete(path: Path, info: MediaInfo) -> None:
    """MediaError when the file's data ends well before the duration its header declares.

    An MP4 cut short (an upload or export that stopped) keeps its index at the front, so it
    probes as whole and would become a shorter video. Reading the packets costs one pass
    over the file without decoding anything.
    """
    # Every stream's packets: the declared duration is the longest stream's, and a track
    # may run on after the picture (a longer soundtrack).
    try:
        result = subprocess.run(
            [FFPROBE, "-v", "quiet", "-show_entries",
             "packet=pts_time,duration_time", "-of", "csv=p=0", str(path)],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=PACKET_SCAN_TIMEOUT_S,
            check=False)
    except subprocess.TimeoutExpired:
        raise MediaError("the file could not be read in time",
                         "读取文件超时，文件可能已损坏") from None
    except OSError as error:  # ffprobe missing or not executable: the server's problem
        raise ToolMissing(cannot_run(FFPROBE, error)) from error
    end = 0.0
    for line in result.stdout.decode(errors="replace").splitlines():
        pts, _, duration = line.partition(",")
        if (start := _number(pts)) is not None:
            end = max(end, start + (_number(duration.strip(",")) or 0.0))
    missing = info.duration_s - end
    if missing > max(INCOMPLETE_TOLERANCE_S, info.duration_s * 0.02):
        declared, held = _clock(math.ceil(info.duration_s)), _clock(end)
        raise MediaError(
            f"the file is incomplete or damaged: it should last {declared} but its data ends "
            f"at {held}. Export or upload it again",
            f"文件不完整或已损坏：应有 {declared}，但数据在 {held} 处中断。请重新导出或上传")


def _media_info(data: dict) -> MediaInfo:
    form = data["format"]
    format_name = form.get("format_name", "")
    streams = [s for s in data.get("streams", []) if s.get("codec_name")]
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not s.get("disposition", {}).get("attached_pic")), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if format_name in _NOT_MEDIA_FORMATS or format_name.endswith("_pipe"):
        raise MediaError("this is a picture or a document, not a video or audio file",
                         "这是图片或文档，不是视频或音频文件")
    if video is None and audio is None:
        raise MediaError("no decodable video or audio stream", "文件中没有可解码的视频或音频")
    duration_s = _number(form.get("duration")) or max(
        (_number(s.get("duration")) or 0.0 for s in streams), default=0.0)
    if duration_s <= 0:
        raise MediaError("the length of the file could not be read", "无法读取文件的时长")
    width, height, rotation = _display_size(video) if video else (0, 0, 0)
    if video and min(width, height) < MIN_SIDE:
        raise MediaError(
            f"the picture is {width}×{height} pixels; a video must be at least "
            f"{MIN_SIDE}×{MIN_SIDE}. Replace the file with a real video",
            f"视频画面只有 {width}×{height} 像素，至少需要 {MIN_SIDE}×{MIN_SIDE}。"
            "请更换为正常的视频文件")
    return MediaInfo(
        kind="video" if video else "audio",
        duration_s=duration_s,
        width=width,
        height=height,
        rotation=rotation,
        video_codec=video["codec_name"] if video else None,
        video_profile=video.get("profile") if video else None,
        pix_fmt=video.get("pix_fmt") if video else None,
        frame_rate=_frame_rate(video) if video else None,
        audio_codec=audio["codec_name"] if audio else None,
        audio_channels=audio.get("channels") if audio else None,
        audio_sample_rate=int(audio["sample_rate"]) if audio and audio.get("sample_rate") else None,
        bit_rate=int(form["bit_rate"]) if str(form.get("bit_rate", "")).isdigit() else None,
        format_name=format_name,
        audio_profile=audio.get("profile") if audio else None,
        has_b_frames=bool(video and _number(video.get("has_b_frames"))),
        color_transfer=video.get("color_transfer") if video else None,
    )


def _display_size(video: dict) -> tuple[int, int, int]:
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise MediaError("the video has no picture size", "无法读取视频的画面尺寸")
    pixel_aspect = _ratio(video.get("sample_aspect_ratio"), ":")
    if pixel_aspect and pixel_aspect != 1:  # anamorphic: the display size has square pixels
        width = max(2, round(width * pixel_aspect / 2) * 2)
    rotation = _rotation(video)
    if rotation in (90, 270):
        width, height = height, width
    return width, height, rotation


def _rotation(video: dict) -> int:
    for side_data in video.get("side_data_list", []):
        if "rotation" in side_data:
            # ffprobe reports the display matrix counterclockwise; the tag is clockwise.
            return round(-float(side_data["rotation"]) / 90) * 90 % 360
    tag = video.get("tags", {}).get("rotate", "0")
    return round(float(tag) / 90) * 90 % 360 if _number(tag) is not None else 0


def _frame_rate(video: dict) -> float | None:
    for key in ("avg_frame_rate", "r_frame_rate"):
        rate = _ratio(video.get(key), "/")
        if rate:
            return round(rate, 3)
    return None


def _ratio(value: str | None, separator: str) -> float | None:
    """A ratio such as "30000/1001" or "16:15" as a number; None for "0/0", "N/A", nothing."""
    numerator, _, denominator = str(value or "").partition(separator)
    if numerator.isdigit() and denominator.isdigit() and int(numerator) and int(denominator):
        return int(numerator) / int(denominator)
    return None


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def check_media(info: MediaInfo, *, max_seconds: float = 900, max_short_side: int = 2160,
                max_long_side: int = 4096) -> None:
    """MediaError naming the limit and the file's value when an upload is beyond our limits."""
    noun_en, noun_zh = ("video", "视频") if info.kind == "video" else ("audio", "音频")
    if info.duration_s > max_seconds:
        actual, limit = _clock(math.ceil(info.duration_s)), _clock(max_seconds)
        raise MediaError(f"the {noun_en} is {actual} long; the limit is {limit}",
                         f"{noun_zh}时长为 {actual}，上限为 {limit}")
    if info.kind == "video" and (info.short_side > max_short_side
                                 or info.long_side > max_long_side):
        actual, limit = f"{info.width}×{info.height}", f"{max_long_side}×{max_short_side}"
        raise MediaError(
            f"the video is {actual}; the limit is {limit} (landscape or portrait)",
            f"视频分辨率为 {actual}，上限为 {limit}（横屏或竖屏）")


def _clock(seconds: float) -> str:
    minutes, second = divmod(int(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}" if hours else f"{minute}:{second:02d}"
