"""Captions: SRT or WebVTT uploads, as the WebVTT that HLS players read.

Parsing and writing is webvtt-py's. Around it: decoding what editors' tools save (UTF-8 with
or without BOM, UTF-16 from Notepad, GB18030/GBK from Chinese Windows), and refusing a file
with a malformed cue time, which webvtt-py would otherwise drop without a word.
"""

from __future__ import annotations

import io
import re

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from motpub.media.errors import MediaError
from motpub.media.hls import TIMESTAMP_MAP

# The cue timing lines webvtt-py accepts: SRT needs hours and takes "," or "."; WebVTT
# may leave out hours and takes "." only.
_SRT_TIME = r"\d+:\d{1,2}:\d{1,2}[,.]\d+"
_VTT_TIME = r"(?:\d+:)?\d{1,2}:\d{1,2}\.\d{1,3}"
_SRT_TIMING = re.compile(rf"\s*{_SRT_TIME}\s*-->\s*{_SRT_TIME}(?:\s|$)")
_VTT_TIMING = re.compile(rf"\s*{_VTT_TIME}\s*-->\s*{_VTT_TIME}(?:\s|$)")
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def captions_to_webvtt(data: bytes, *, timestamp_map: bool = True) -> str:
    """WebVTT text from SRT or WebVTT bytes; MediaError when it is neither.

    With `timestamp_map` (the default) the header carries X-TIMESTAMP-MAP, which Apple
    players need to place the cues of a WebVTT file served through HLS (subtitle_playlist).
    """
    decoded = _decode(data)
    text = decoded.lstrip()
    if not text:
        raise MediaError("the captions file is empty", "字幕文件是空的")
    is_webvtt = text.startswith("WEBVTT")
    _check_timings(decoded, _VTT_TIMING if is_webvtt else _SRT_TIMING)
    try:
        captions = webvtt.WebVTT.from_buffer(io.StringIO(text),
                                             format="vtt" if is_webvtt else "srt")
    except MalformedFileError:
        raise MediaError("the captions file is neither SRT nor WebVTT",
                         "字幕文件既不是 SRT 也不是 WebVTT 格式") from None
    except MalformedCaptionError as error:
        raise MediaError(f"a cue time is not valid: {error}",
                         f"字幕时间码无效：{error}") from None
    if not captions.captions:
        raise MediaError("the captions file has no cues", "字幕文件中没有任何字幕条目")
    for caption in captions.captions:
        if caption.end_time <= caption.start_time:
            raise MediaError(
                f"the cue at {caption.start} ends at {caption.end}, before it starts",
                f"{caption.start} 处的字幕结束时间 {caption.end} 早于开始时间")
    if timestamp_map and not any(line.startswith("X-TIMESTAMP-MAP") for line in captions.metadata):
        captions.metadata.insert(0, TIMESTAMP_MAP)
    return captions.content


def _decode(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                break
    # GB18030 is a superset of GBK and GB2312, what Chinese Windows editors save SRT in.
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise MediaError("the captions file is not UTF-8 or GB18030 (GBK) text",
                     "字幕文件的编码不是 UTF-8 或 GB18030（GBK）")


def _check_timings(text: str, timing: re.Pattern[str]) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if "-->" in line and not timing.match(line):
            raise MediaError(f"line {number} has a malformed cue time: {line.strip()}",
                             f"第 {number} 行的时间码格式不正确：{line.strip()}")
