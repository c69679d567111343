"""Label sheets draw complex scripts shaped: the glyphs in the PDF are the ones HarfBuzz picks
for the same text in the same font file (Arabic letters in their joined forms, in visual
order; Thai marks in their stacked forms), not one glyph per character as written."""

from __future__ import annotations

import io

import pytest
import uharfbuzz as hb
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import ContentStream

from motpub.printing.fonts import characters, Typefaces
from motpub.printing.labels import Label, label_sheet
from motpub.printing.text import wrap

ARABIC = "مربع برونزي"  # square bronze: every letter joins a neighbour but one
THAI = "ติ่งสำริด"  # bronze ding: a tone mark over a vowel above, sara am split in two


def drawn_glyphs(pdf: bytes, base_font: str) -> tuple[list[int], TTFont]:
    """The glyph ids (of the embedded subset) drawn in `base_font`, in content order, and
    the subset itself."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    fonts = page["/Resources"]["/Font"]
    names = [name for name, font in fonts.items()
             if font.get_object()["/BaseFont"].endswith("+" + base_font)]
    assert len(names) == 1, [font.get_object()["/BaseFont"] for font in fonts.values()]
    descendant = fonts[names[0]].get_object()["/DescendantFonts"][0].get_object()
    cid_to_gid = descendant["/CIDToGIDMap"].get_object().get_data()
    subset = TTFont(io.BytesIO(descendant["/FontDescriptor"]["/FontFile2"].get_data()))
    current, codes = None, []
    for operands, operator in ContentStream(page.get_contents(), page.pdf).operations:
        if operator == b"Tf":
            current = operands[0]
        elif operator in (b"Tj", b"TJ") and current == names[0]:
            strings = operands[0] if operator == b"TJ" else [operands[0]]
            for string in strings:
                if isinstance(string, (int, float)):
                    continue
                raw = string.original_bytes
                codes += [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]
    return [int.from_bytes(cid_to_gid[2 * cid:2 * cid + 2], "big") for cid in codes], subset


def outlines(font: TTFont, glyph_ids: list[int]) -> list[list]:
    """Each glyph's outline, components resolved: the same in a font and its subset, whose
    glyph ids differ."""
    order, glyphs = font.getGlyphOrder(), font.getGlyphSet()
    drawn = []
    for glyph_id in glyph_ids:
        pen = DecomposingRecordingPen(glyphs)
        glyphs[order[glyph_id]].draw(pen)
        drawn.append(pen.value)
    return drawn


def harfbuzz_glyphs(path, text: str, language: str) -> list[int]:
    font = hb.Font(hb.Face(hb.Blob.from_file_path(str(path))))
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    buffer.language = language
    hb.shape(font, buffer, {})
    return [info.codepoint for info in buffer.glyph_infos]


@pytest.mark.parametrize(("language", "text", "base_font"), [
    ("ar", ARABIC, "NotoSansArabic"),
    ("th", THAI, "NotoSansThai"),
])
def test_the_glyphs_drawn_are_the_ones_harfbuzz_shapes(language, text, base_font):
    face = Typefaces().for_language(language)
    pdf = label_sheet([Label((text,), "K0001", "https://motpub.test/s/K0001")],
                      template="a4-8", languages=(language,))
    drawn, subset = drawn_glyphs(pdf, base_font)
    shaped = harfbuzz_glyphs(face.path, text, language)
    original = TTFont(face.path)
    assert outlines(subset, drawn) == outlines(original, shaped)
    # One glyph per character as written, in either order, is something else.
    cmap = original.getBestCmap()
    unshaped = [original.getGlyphID(cmap[ord(char)]) for char in text]
    assert shaped not in (unshaped, unshaped[::-1])
    assert outlines(original, shaped) not in (outlines(original, unshaped),
                                              outlines(original, unshaped[::-1]))


def test_every_script_gets_its_own_face():
    faces = {lang: Typefaces().for_language(lang).path.name
             for lang in ("zh", "zh-Hant", "ja", "ar", "he", "th", "hi", "ru", "en")}
    assert faces == {"zh": "NotoSansCJK-Regular.ttc", "zh-Hant": "NotoSansCJK-Regular.ttc",
                     "ja": "NotoSansCJK-Regular.ttc", "ar": "NotoSansArabic-Regular.ttf",
                     "he": "NotoSansHebrew-Regular.ttf", "th": "NotoSansThai-Regular.ttf",
                     "hi": "NotoSansDevanagari-Regular.ttf", "ru": "NotoSans-Regular.ttf",
                     "en": "NotoSans-Regular.ttf"}
    # Han in each language's own forms: simplified, traditional, Japanese.
    assert [Typefaces().for_language(lang).index for lang in ("zh", "zh-Hant", "ja", "zh-HK")] \
        == [2, 3, 0, 4]
    assert ord("青") in characters(Typefaces().for_language("zh-Hant"))


def test_the_configured_cjk_font_draws_every_cjk_title(tmp_path):
    font = tmp_path / "font.ttc"  # MOTPUB_CJK_FONT_PATH, whichever font it names
    font.symlink_to(Typefaces().for_language("zh").path)
    assert {Typefaces(font).for_language(lang).index for lang in ("zh", "zh-Hant", "ko")} == {0}


def test_wrapping_never_splits_a_cluster():
    # Ten units a character, four to a line: a Thai mark or a Devanagari conjunct stays
    # with the character it belongs to, even when that makes the line shorter.
    assert wrap("ติ่งสำริด", [10] * 9, 40) == ["ติ่ง", "สำริ", "ด"]
    assert wrap("कांस्य", [10] * 6, 40) == ["कां", "स्य"]
    assert wrap("Square bronze ding", [10] * 18, 100) == ["Square", "bronze", "ding"]
