"""The fonts of label sheets: one face a script, picked per language and, inside a title, per
run of characters the language's face lacks.

Noto (Debian's fonts-noto-core and fonts-noto-cjk) covers every script a sheet prints. Han
characters are drawn in the face of the language's region (simplified for zh, traditional
for zh-Hant, Japanese and Korean shapes for ja and ko), since one code point is written
differently in each. MOTPUB_CJK_FONT_PATH replaces every CJK face with one font, as before;
the fonts motpub used before Noto (WenQuanYi and others) still serve when Noto CJK is absent.
"""

from __future__ import annotations

import copy
import functools
import threading
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from fontTools import ttLib  # type: ignore[import-untyped]
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

NOTO = Path("/usr/share/fonts/truetype/noto")
NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
# The faces of NotoSansCJK-Regular.ttc, by the Han writing they follow.
NOTO_CJK_FACES = {"Jpan": 0, "Kore": 1, "Hans": 2, "Hant": 3, "Hant-HK": 4}
# Debian and Ubuntu fonts with Chinese glyphs from before Noto; MOTPUB_CJK_FONT_PATH overrides.
LEGACY_CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
)
# Scripts (ISO 15924) Noto Sans itself covers, and DejaVu Sans where Noto is missing.
SANS_SCRIPTS = frozenset({"Latn", "Cyrl", "Grek"})
SANS_FONTS = (NOTO / "NotoSans-Regular.ttf",
              Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
# The other scripts, each in its Noto Sans face: NotoSans<Name>-Regular.ttf.
SCRIPT_FONT_NAMES = {
    "Arab": "Arabic", "Hebr": "Hebrew", "Thai": "Thai", "Deva": "Devanagari",
    "Beng": "Bengali", "Taml": "Tamil", "Telu": "Telugu", "Knda": "Kannada",
    "Mlym": "Malayalam", "Gujr": "Gujarati", "Guru": "Gurmukhi", "Orya": "Oriya",
    "Sinh": "Sinhala", "Armn": "Armenian", "Geor": "Georgian", "Ethi": "Ethiopic",
    "Khmr": "Khmer", "Laoo": "Lao", "Mymr": "Myanmar",
}
CJK_SCRIPTS = frozenset({"Hans", "Hant", "Jpan", "Kore"})
# Which package brings each kind of face, for the message when one is missing.
PACKAGES = {"cjk": "fonts-noto-cjk (or fonts-wqy-microhei)", "other": "fonts-noto-core"}


class FontMissing(Exception):
    """No font to embed for a script: labels would show empty boxes instead of its text."""


@dataclass(frozen=True, slots=True)
class Face:
    """One face of a font file (a collection holds several), by the name a PDF knows it."""

    family: str
    path: Path
    index: int = 0


def find_cjk_font(configured: Path | None = None) -> Path:
    """The font for Chinese text: the configured one, else Noto CJK, else an older one."""
    candidates = (configured,) if configured else (NOTO_CJK, *LEGACY_CJK_FONTS)
    for path in candidates:
        if path and path.is_file():
            return path
    raise FontMissing(
        f"no CJK font found for labels: install {PACKAGES['cjk']} "
        "or set MOTPUB_CJK_FONT_PATH to a TrueType or OpenType (.ttf, .otf or .ttc) font "
        f"with Chinese glyphs (looked at {', '.join(str(path) for path in candidates)})")


@functools.cache
def script_of(language: str) -> str:
    """The script a language is written in (ISO 15924): its tag's, else the likeliest
    (zh Hans, zh-TW and zh-Hant Hant, ar Arab); Hant-HK for Hong Kong's own forms."""
    try:
        locale = Locale.parse(language, sep="-")
    except (ValueError, UnknownLocaleError):
        return "Latn"
    likely = get_global("likely_subtags")
    guess = (likely.get(f"{locale.language}_{locale.script}_{locale.territory}")
             or likely.get(f"{locale.language}_{locale.territory}")
             or likely.get(locale.language) or "")
    parts = guess.split("_")
    script = locale.script or (parts[1] if len(parts) > 2 else "Latn")
    territory = locale.territory or (parts[-1] if len(parts) > 2 else "")
    if script == "Hant" and territory in ("HK", "MO"):
        return "Hant-HK"
    return script


class Typefaces:
    """The faces a deployment has, found once: which one draws a script, and which ones
    take over for characters it lacks."""

    def __init__(self, cjk_font: Path | None = None) -> None:
        self.cjk_font = cjk_font

    def for_script(self, script: str) -> Face:
        """The face for text in `script`; FontMissing naming the package when none is."""
        if script.split("-")[0] in CJK_SCRIPTS:
            path = find_cjk_font(self.cjk_font)
            index = NOTO_CJK_FACES[script] if path == NOTO_CJK else 0
            return Face(f"cjk-{index}", path, index)
        if script in SCRIPT_FONT_NAMES:
            path = NOTO / f"NotoSans{SCRIPT_FONT_NAMES[script]}-Regular.ttf"
            if not path.is_file():
                raise FontMissing(f"no font for {script} text on labels: install "
                                  f"{PACKAGES['other']} (looked at {path})")
            return Face(script.lower(), path)
        for path in SANS_FONTS:
            if path.is_file():
                return Face("sans", path)
        # An old install with a CJK font only: its Latin letters serve, as they used to.
        return self.for_script("Hans")

    def for_language(self, language: str) -> Face:
        return self.for_script(script_of(language))

    def fallbacks(self, han: str) -> list[Face]:
        """The faces to look in, in order, for characters a title's own face lacks: Latin
        and Cyrillic first, Han in the sheet's Chinese or Japanese forms (`han`), then every
        other script; faces not installed are left out."""
        faces = []
        for script in ("Latn", han, *SCRIPT_FONT_NAMES):
            try:
                faces.append(self.for_script(script))
            except FontMissing:
                continue
        return list(dict.fromkeys(faces))


# --- loading ------------------------------------------------------------------------------

_lock = threading.Lock()


@functools.cache
def _parsed(face: Face) -> TTFFont:
    """A face read once a process: reading a CJK font's 45,000 widths takes 0.4 s, longer
    than drawing a hundred labels."""
    scratch = FPDF()
    scratch.add_font(face.family, fname=str(face.path), collection_font_number=face.index)
    font = scratch.fonts[face.family]
    assert isinstance(font, TTFFont)
    font.ttfont.close()  # what is kept is read; each document opens the file for itself
    return font


def characters(face: Face) -> dict[int, str]:
    """The code points the face has a glyph for."""
    with _lock:
        return _parsed(face).cmap


def attach(pdf: FPDF, face: Face) -> None:
    """Add the face to a document without reading the file again: the parsed metrics are
    shared; what a document changes (its subset, which fontTools cuts in place when the PDF
    is written, and the HarfBuzz font whose size shaping sets) is its own."""
    if face.family in pdf.fonts:
        return
    with _lock:
        parsed = _parsed(face)
    font = copy.copy(parsed)
    font.i = len(pdf.fonts) + 1
    font.ttfont = ttLib.TTFont(face.path, recalcTimestamp=False, fontNumber=face.index,
                               lazy=True)
    font._hbfont = None
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    pdf.fonts[face.family] = font
    if font.is_cff and font.is_cid_keyed:
        pdf._set_min_pdf_version("1.6")  # as FPDF.add_font does for CID-keyed CFF


def release(pdf: FPDF) -> None:
    """Close the font files a document opened, once it is written."""
    for font in pdf.fonts.values():
        if isinstance(font, TTFFont):
            font.ttfont.close()
