"""Captions: SRT or WebVTT uploads, as the WebVTT that HLS players read.

Parsing and writing is webvtt-py's. Around it: decoding what editors' tools save (UTF-8 with
or without BOM, UTF-16 from Notepad, and legacy encodings such as GBK from Chinese Windows,
Big5 from Traditional-Chinese tools or Shift-JIS, when charset-normalizer is sure which), and
refusing a file with a malformed cue time, which webvtt-py would otherwise drop without a word.
"""

from __future__ import annotations

import io
import re

import webvtt
from charset_normalizer import from_bytes
from webvtt.errors import MalformedCaptionError, MalformedFileError

from motpub.avtools.errors import MediaError
from motpub.avtools.hls import TIMESTAMP_MAP

# The cue timing lines webvtt-py accepts: SRT needs hours and takes "," or "."; WebVTT
# may leave out hours and takes "." only.
_SRT_TIME = r"\d+:\d{1,2}:\d{1,2}[,.]\d+"
_VTT_TIME = r"(?:\d+:)?\d{1,2}:\d{1,2}\.\d{1,3}"
_SRT_TIMING = re.compile(rf"\s*{_SRT_TIME}\s*-->\s*{_SRT_TIME}(?:\s|$)")
_VTT_TIMING = re.compile(rf"\s*{_VTT_TIME}\s*-->\s*{_VTT_TIME}(?:\s|$)")
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
# A legacy encoding is taken only when every reading nearly as clean as the detector's best
# one gives the same text: a short line of Han characters is valid GB18030, Big5 and
# Shift-JIS at once, and guessing there publishes mojibake.
_CLOSE_CHAOS = 0.1
_MAX_CHAOS = 0.2
_WESTERN_MARKS = set("–—‘’“”…«»°·€£§©®ŒœŠšŽžŸ")
_ENCODING_NAMES = {
    "gb18030": "GB18030 (GBK)", "gbk": "GB18030 (GBK)", "gb2312": "GB18030 (GBK)",
    "hz": "HZ", "big5": "Big5", "big5hkscs": "Big5", "cp950": "Big5",
    "cp932": "Shift-JIS", "shift_jis": "Shift-JIS", "shift_jis_2004": "Shift-JIS",
    "shift_jisx0213": "Shift-JIS", "euc_jp": "EUC-JP", "euc_jis_2004": "EUC-JP",
    "euc_jisx0213": "EUC-JP", "iso2022_jp": "ISO-2022-JP", "cp949": "EUC-KR",
    "euc_kr": "EUC-KR", "johab": "Johab", "utf_16": "UTF-16", "utf_16_le": "UTF-16",
    "utf_16_be": "UTF-16", "utf_32": "UTF-32", "cp1252": "Windows-1252",
    "latin_1": "ISO-8859-1",
}


def captions_to_webvtt(data: bytes, *, timestamp_map: bool = True) -> str:
    """WebVTT text from SRT or WebVTT bytes; MediaError when it is neither.

    With `timestamp_map` (the default) the header carries X-TIMESTAMP-MAP, which Apple
    players need to place the cues of a WebVTT file served through HLS (subtitle_playlist).
    """
    decoded = _decode(data)
    text = decoded.lstrip()
    if not text:
        raise MediaError("captions_empty")
    is_webvtt = text.startswith("WEBVTT")
    _check_timings(decoded, _VTT_TIMING if is_webvtt else _SRT_TIMING)
    try:
        captions = webvtt.WebVTT.from_buffer(io.StringIO(text),
                                             format="vtt" if is_webvtt else "srt")
    except MalformedFileError:
        raise MediaError("captions_format") from None
    except MalformedCaptionError as error:
        raise MediaError("captions_bad_time", detail=str(error)) from None
    if not captions.captions:
        raise MediaError("captions_no_cues")
    for caption in captions.captions:
        if caption.end_time <= caption.start_time:
            raise MediaError("captions_backwards", start=caption.start, end=caption.end)
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
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    matches = [match for match in from_bytes(data) if match.chaos <= _MAX_CHAOS]
    if not matches:
        raise MediaError("captions_encoding_unknown")
    best = min(matches, key=lambda match: match.chaos)
    close = [match for match in matches if match.chaos <= best.chaos + _CLOSE_CHAOS]
    readings = {str(match): match.encoding for match in reversed(close)}
    if len(readings) == 1:
        return str(best)
    # Short lines stay ambiguous to the detector; a reading made only of its language's
    # everyday characters, when just one reading is, is the one the editor saved.
    everyday = [text for text, encoding in readings.items() if _is_everyday(text, encoding)]
    if len(everyday) == 1:
        return everyday[0]
    names = list(dict.fromkeys(_encoding_name(match.encoding) for match in close))
    raise MediaError("captions_encoding_unclear", likely=", ".join(names[:3]))


def _is_everyday(text: str, encoding: str) -> bool:
    """Whether `text` holds only the common characters of the language `encoding` is for:
    the 6763 of GB2312 for GBK, Big5's frequent first level, kana and JIS level 1 for
    Shift-JIS, Hangul for EUC-KR. Readings of the wrong encoding land on rare characters."""
    han = [c for c in text if "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"]
    kana = [c for c in text if "\u3040" <= c <= "\u30ff"]
    hangul = [c for c in text if "\uac00" <= c <= "\ud7a3"]
    name = _encoding_name(encoding)
    if name == "GB18030 (GBK)":
        return bool(han) and not (kana or hangul) and all(_code(c, "gb2312") for c in han)
    if name == "Big5":
        return bool(han) and not (kana or hangul) and all(
            0xA440 <= _code(c, "big5") <= 0xC67E for c in han)
    if name == "Shift-JIS":
        return bool(kana) and not hangul and all(
            0x889F <= _code(c, "cp932") <= 0x9872 for c in han)
    if name == "EUC-KR":
        return len(hangul) > len(han) and not kana
    if name in ("Windows-1252", "ISO-8859-1"):  # Western captions from older Windows tools
        return all(c.isascii() or "\u00c0" <= c <= "\u00ff" or c in _WESTERN_MARKS
                   for c in text)
    return False


def _code(character: str, encoding: str) -> int:
    """The character's code in a double-byte encoding, or 0 when it has none there."""
    try:
        return int.from_bytes(character.encode(encoding), "big")
    except UnicodeEncodeError:
        return 0


def _encoding_name(encoding: str) -> str:
    return _ENCODING_NAMES.get(encoding, encoding.upper().replace("_", "-"))


def _check_timings(text: str, timing: re.Pattern[str]) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if "-->" in line and not timing.match(line):
            raise MediaError("captions_malformed_time", line=number, text=line.strip())
