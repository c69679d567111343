"""Captions in the encodings editors' tools save: published as the text they hold, or
refused with a reason; never as mojibake."""

from __future__ import annotations

import pytest

from motpub.avtools.captions import captions_to_webvtt
from motpub.avtools.errors import MediaError
from motpub.media.services.messages import messages

LINES = {
    "big5": ["這件青銅鼎是商代晚期的禮器。", "器身飾有饕餮紋，雙耳立於口沿。"],
    "shift_jis": ["この青銅器は殷代後期の祭器です。", "胴部には饕餮文が施されています。"],
    "gbk": ["这件青铜鼎是商代晚期的礼器。", "器身饰有饕餮纹，双耳立于口沿。"],
    "gb18030": ["青铜鼎，西周晚期。", "Bronze ding, late Western Zhou."],
    "cp1252": ["Café exhibit – naïve art", "Œuvre «rare»"],
    "utf-8": ["這件青銅鼎", "こんにちは", "青铜鼎"],
    "utf-8-sig": ["這件青銅鼎", "青铜鼎"],
    "utf-16": ["這件青銅鼎", "こんにちは"],
}


def srt(lines: list[str]) -> str:
    return "".join(f"{n}\r\n00:00:0{n},000 --> 00:00:0{n},900\r\n{line}\r\n\r\n"
                   for n, line in enumerate(lines, start=1))


def webvtt(lines: list[str]) -> str:
    return "WEBVTT\n\n" + "".join(f"00:0{n}.000 --> 00:0{n}.900\n{line}\n\n"
                                  for n, line in enumerate(lines, start=1))


def cue_texts(vtt: str) -> list[str]:
    lines = vtt.splitlines()
    return [lines[i + 1] for i, line in enumerate(lines) if "-->" in line]


@pytest.mark.parametrize("make", [srt, webvtt], ids=["srt", "webvtt"])
@pytest.mark.parametrize("encoding", list(LINES))
def test_captions_in_each_encoding_publish_the_text_the_editor_wrote(encoding, make):
    lines = LINES[encoding]
    assert cue_texts(captions_to_webvtt(make(lines).encode(encoding))) == lines


@pytest.mark.parametrize("encoding", ["big5", "shift_jis"])
def test_big5_and_shift_jis_captions_are_never_read_as_gb18030(encoding):
    data = srt(LINES[encoding]).encode(encoding)
    mojibake = data.decode("gb18030", errors="replace")
    vtt = captions_to_webvtt(data)
    assert all(line not in vtt for line in mojibake.splitlines()[2:3])
    assert cue_texts(vtt) == LINES[encoding]


@pytest.mark.parametrize(("text", "encoding", "likely"), [
    ("青銅鼎", "big5", "Big5"),
    ("こんにちは", "shift_jis", "Shift-JIS"),
])
def test_captions_too_short_to_tell_the_encoding_are_refused_naming_it_and_asking_for_utf8(
        text, encoding, likely):
    with pytest.raises(MediaError) as caught:
        captions_to_webvtt(srt([text]).encode(encoding))
    reasons = messages(caught.value.code, caught.value.params)
    assert likely in reasons["en"] and "UTF-8" in reasons["en"]
    assert likely in reasons["zh"] and "UTF-8" in reasons["zh"]
