"""HLS packaging: the muxer options every rendition shares, and the playlists we write.

ffmpeg writes each rendition's media playlist; the master playlist is ours, from what was
measured on the produced segments (ffmpeg's own master guesses BANDWIDTH from -maxrate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# The content type of each kind of file a rendition tree holds: stored with the object, and
# sent by the app where it serves the storage itself.
CONTENT_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".m4s": "video/iso.segment",
                 ".mp4": "video/mp4", ".jpg": "image/jpeg", ".webp": "image/webp",
                 ".vtt": "text/vtt"}

SEGMENT_S = 4
SUBTITLE_GROUP = "subs"
AUDIO_GROUP = "audio"
# Every sound we publish is AAC-LC stereo: the video's own (muxed) and each dub.
AUDIO_CODEC = "mp4a.40.2"
# What WebVTT in HLS needs for Apple players: cue times map onto media time 0.
TIMESTAMP_MAP = "X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000"
# Phones stamp the shooting place into the file; none of it goes public.
PRIVATE_OUTPUT_OPTIONS = {"map_metadata": -1, "map_chapters": -1}


@dataclass(frozen=True)
class Variant:
    name: str
    playlist: str  # relative to the master playlist, e.g. "720p/index.m3u8"
    width: int
    height: int
    bandwidth: int  # peak segment bit rate, measured (RFC 8216 section 4.3.4.2), bps
    average_bandwidth: int  # all segment bytes over all segment time, measured, bps
    codecs: str  # e.g. "avc1.64001f,mp4a.40.2"
    frame_rate: float | None
    is_audio_only: bool


@dataclass(frozen=True)
class SubtitleTrack:
    language: str  # a content language: "zh", "en", ...
    name: str  # "中文", "English"
    uri: str  # its media playlist, relative to the master playlist or absolute


@dataclass(frozen=True)
class AudioRendition:
    """One language of a video's sound: its own, muxed into the variants (no `uri`), or a
    dub in a media playlist of its own."""

    language: str
    name: str  # in its own language: "中文", "English"
    uri: str | None
    is_default: bool


def hls_options(directory: Path) -> dict[str, object]:
    """ffmpeg output options for a VOD rendition of 4 s fMP4 segments in `directory`."""
    return {**hls_muxer_options(directory), **PRIVATE_OUTPUT_OPTIONS}


def hls_muxer_options(directory: Path) -> dict[str, object]:
    """The HLS muxer's own options (for one slave of a tee output, too)."""
    return {
        "f": "hls",
        "hls_time": SEGMENT_S,
        "hls_playlist_type": "vod",
        "hls_segment_type": "fmp4",
        "hls_flags": "independent_segments",
        "hls_fmp4_init_filename": "init.mp4",
        "hls_segment_filename": str(directory / "seg_%05d.m4s"),
    }


def measure_variant(out_dir: Path, playlist: str, *, name: str, width: int, height: int,
                    frame_rate: float | None, is_audio_only: bool = False) -> Variant:
    """A Variant for a media playlist ffmpeg wrote under `out_dir`, measured from its files."""
    path = out_dir / playlist
    target_s, init, segments = _read_media_playlist(path)
    sizes = [(path.parent / uri).stat().st_size for _, uri in segments]
    durations = [duration for duration, _ in segments]
    average = math.ceil(sum(sizes) * 8 / sum(durations))
    peak = max(_peak_bit_rate(sizes, durations, target_s), average)
    codecs = _codecs((path.parent / init).read_bytes() if init else b"")
    return Variant(name=name, playlist=playlist, width=width, height=height, bandwidth=peak,
                   average_bandwidth=average, codecs=codecs, frame_rate=frame_rate,
                   is_audio_only=is_audio_only)


def _read_media_playlist(path: Path) -> tuple[float, str | None, list[tuple[float, str]]]:
    target_s, init, segments, duration = 0.0, None, [], None
    for line in path.read_text().splitlines():
        if line.startswith("#EXT-X-TARGETDURATION:"):
            target_s = float(line.partition(":")[2])
        elif line.startswith("#EXT-X-MAP:"):
            init = line.partition('URI="')[2].partition('"')[0]
        elif line.startswith("#EXTINF:"):
            duration = float(line.partition(":")[2].partition(",")[0])
        elif line and not line.startswith("#") and duration is not None:
            segments.append((duration, line))
            duration = None
    if not segments:
        raise ValueError(f"{path} lists no segments")
    return target_s, init, segments


def _peak_bit_rate(sizes: list[int], durations: list[float], target_s: float) -> int:
    """RFC 8216: the highest rate of any run of segments lasting 0.5 to 1.5 target durations.

    Taking single segments instead would let a one-frame tail segment (a keyframe in 40 ms)
    claim tens of Mb/s and keep phones off the rung.
    """
    peak = 0.0
    for start in range(len(sizes)):
        total_bytes, total_s = 0, 0.0
        for size, duration in zip(sizes[start:], durations[start:], strict=False):
            total_bytes, total_s = total_bytes + size, total_s + duration
            if total_s > 1.5 * target_s:
                break
            if total_s >= 0.5 * target_s:
                peak = max(peak, total_bytes * 8 / total_s)
    return math.ceil(peak)


def _codecs(init: bytes) -> str:
    """RFC 6381 codec names from an fMP4 init segment: avc1 profile/level from its avcC box.

    Our audio is always AAC-LC (encoded so, or copied only when the source is LC).
    """
    codecs = []
    at = init.find(b"avcC")
    if at >= 0:
        profile, compatibility, level = init[at + 5:at + 8]
        codecs.append(f"avc1.{profile:02x}{compatibility:02x}{level:02x}")
    if b"mp4a" in init:
        codecs.append("mp4a.40.2")
    return ",".join(codecs)


def master_playlist(variants: list[Variant], subtitles: Sequence[SubtitleTrack] = (),
                    audio: Sequence[AudioRendition] = ()) -> str:
    """The multivariant playlist: audio and subtitle renditions, then variants from the
    highest. With `audio`, every variant refers to the audio group and names AAC among its
    codecs; the rendition without a URI is the sound the variants carry themselves."""
    if not variants:
        raise ValueError("a master playlist needs at least one variant")
    if sum(track.is_default for track in audio) > 1:
        raise ValueError("at most one audio rendition is the default")
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rendition in audio:
        default = "YES" if rendition.is_default else "NO"
        uri = f',URI="{_quoted(_line(rendition.uri))}"' if rendition.uri is not None else ""
        lines.append(
            f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{AUDIO_GROUP}",'
            f'NAME="{_quoted(rendition.name)}",LANGUAGE="{_quoted(rendition.language)}",'
            f'DEFAULT={default},AUTOSELECT=YES,CHANNELS="2"{uri}')
    for track in subtitles:
        lines.append(
            f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="{SUBTITLE_GROUP}",'
            f'NAME="{_quoted(track.name)}",LANGUAGE="{_quoted(track.language)}",'
            f'DEFAULT=NO,AUTOSELECT=YES,URI="{_quoted(track.uri)}"')
    ordered = sorted(variants, reverse=True, key=lambda v: (
        not v.is_audio_only, v.width * v.height, v.bandwidth))
    for variant in ordered:
        attributes = [f"BANDWIDTH={variant.bandwidth}",
                      f"AVERAGE-BANDWIDTH={variant.average_bandwidth}"]
        if not variant.is_audio_only:
            attributes.append(f"RESOLUTION={variant.width}x{variant.height}")
        codecs = variant.codecs
        if audio and AUDIO_CODEC not in codecs.split(","):  # a silent video's dubs
            codecs = ",".join(filter(None, (codecs, AUDIO_CODEC)))
        attributes.append(f'CODECS="{_quoted(codecs)}"')
        if variant.frame_rate and not variant.is_audio_only:
            attributes.append(f"FRAME-RATE={variant.frame_rate:.3f}")
        if audio:
            attributes.append(f'AUDIO="{AUDIO_GROUP}"')
        if subtitles:
            attributes.append(f'SUBTITLES="{SUBTITLE_GROUP}"')
        lines += ["#EXT-X-STREAM-INF:" + ",".join(attributes), variant.playlist]
    return "\n".join(lines) + "\n"


def subtitle_playlist(vtt_uri: str, duration_s: float) -> str:
    """A VOD media playlist whose one segment is the whole WebVTT file.

    The WebVTT must carry TIMESTAMP_MAP, which captions_to_webvtt adds by default.
    """
    if duration_s <= 0:
        raise ValueError("duration_s must be positive")
    return "\n".join([
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{math.ceil(duration_s)}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        f"#EXTINF:{duration_s:.3f},",
        _line(vtt_uri),
        "#EXT-X-ENDLIST",
    ]) + "\n"


def _quoted(value: str) -> str:
    # An HLS quoted-string cannot hold a double quote, CR or LF; there is no escape.
    if any(character in value for character in '"\r\n'):
        raise ValueError(f"not allowed in an HLS attribute: {value!r}")
    return value


def _line(uri: str) -> str:
    if not uri or any(character in uri for character in "\r\n"):
        raise ValueError(f"not a playlist URI: {uri!r}")
    return uri
