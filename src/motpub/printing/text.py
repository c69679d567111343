"""Breaking a title into lines by the widths of its characters, in its fonts.

fpdf2 can wrap too, but it adds a line's width up again at every character, and with
shaping on it shapes each character alone: trying a few sizes for every title of a hundred
labels took seconds. Here each title's advances are looked up once; wrapping at any size is
then arithmetic. Lines break at spaces, a word longer than a line at a character (as Chinese
and Thai, written without spaces, always do), never inside a cluster.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from fpdf.fonts import TTFFont

VIRAMA = 9  # the canonical combining class of viramas: the next consonant joins this one


def advances(text: str, fonts: Sequence[TTFFont]) -> list[float]:
    """Each character's advance in thousandths of an em, in the first of `fonts` that has
    it (the title's own face, then its fallbacks), as fpdf2 will pick it."""
    widths = []
    for char in text:
        code = ord(char)
        font = next((font for font in fonts if code in font.cmap), fonts[0])
        widths.append(font.cw[code])
    return widths


def _joins_previous(text: str, index: int) -> bool:
    """Whether the character at `index` belongs to the cluster before it: a combining mark
    (Thai vowels above and below and tones, Devanagari matras), or a consonant after a
    virama (a Devanagari conjunct)."""
    char = text[index]
    return (unicodedata.category(char) in ("Mn", "Mc", "Me")
            or (index > 0 and unicodedata.combining(text[index - 1]) == VIRAMA))


def wrap(text: str, widths: Sequence[float], limit: float) -> list[str]:
    """`text` in lines no wider than `limit` (in the units of `widths`), in reading order."""
    lines: list[str] = []
    start, width, space = 0, 0.0, -1  # the line's first character, its width, its last space
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\n":
            lines.append(text[start:index])
            start, width, space, index = index + 1, 0.0, -1, index + 1
            continue
        if width + widths[index] > limit and index > start and not char.isspace():
            if space > start:  # break at the last space, which is dropped
                lines.append(text[start:space])
                start = space + 1
            else:  # a word longer than the line: break before this cluster
                cut = index
                while cut > start + 1 and _joins_previous(text, cut):
                    cut -= 1
                lines.append(text[start:cut])
                start = cut
            width, space = sum(widths[start:index]), -1
            continue
        if char.isspace():
            space = index
        width += widths[index]
        index += 1
    lines.append(text[start:])
    return [line.rstrip() for line in lines if line.strip()]
