"""Sheets of labels in many languages as vector PDF, laid out for standard die-cut label stock.

Each label carries a QR drawn as vector shapes (never a bitmap, so it prints sharp at any
size), the short URL under it, the item's title in each language the sheet was asked for,
and the code. Each title is set in its script's font and shaped by HarfBuzz (Arabic joined
and right to left, Thai marks stacked, Devanagari conjuncts formed); every font is embedded
and subsetted, so the printer needs none of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.fonts import TTFFont

from motpub.i18n import direction
from motpub.printing.fonts import (
    attach, characters, Face, find_cjk_font, FontMissing, release, script_of, Typefaces)
from motpub.printing.text import advances, wrap
from motpub.printing.qr import QrStyle, draw_symbol, qr_symbol

__all__ = ["find_cjk_font", "FontMissing", "Label", "label_sheet", "SheetTemplate",
           "TEMPLATES", "Typefaces"]
PT_MM = 25.4 / 72
SMALLEST_PT = 5.0
ELLIPSIS = "\u2026"
# Titles after the first are set this much smaller (and grey), so the languages read apart.
SECOND_SCALE = 0.9


@dataclass(frozen=True, slots=True)
class Label:
    titles: tuple[str, ...]  # one a language of the sheet, in the order it was asked for
    code: str
    url: str


@dataclass(frozen=True, slots=True)
class SheetTemplate:
    """A label stock: page and label sizes, grid, margins and pitch, all in mm."""

    name: str
    page_mm: tuple[float, float]
    label_mm: tuple[float, float]
    columns: int
    rows: int
    left_mm: float
    top_mm: float
    pitch_x_mm: float
    pitch_y_mm: float
    padding_mm: float
    title_pt: float  # the largest title size; long titles shrink from here

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


INCH = 25.4
TEMPLATES = {
    # Avery L7165: 2 x 4 labels of 99.1 x 67.7 mm on A4.
    "a4-8": SheetTemplate("a4-8", (210, 297), (99.1, 67.7), 2, 4, 4.65, 13.1, 101.6, 67.7,
                          4.0, 15),
    # Avery L7160: 3 x 7 labels of 63.5 x 38.1 mm on A4.
    "a4-21": SheetTemplate("a4-21", (210, 297), (63.5, 38.1), 3, 7, 7.25, 15.15, 66.0, 38.1,
                           2.0, 9),
    # Avery 5163: 2 x 5 labels of 4 x 2 in on US Letter.
    "letter-10": SheetTemplate("letter-10", (8.5 * INCH, 11 * INCH), (4 * INCH, 2 * INCH), 2,
                               5, 0.15625 * INCH, 0.5 * INCH, 4.1875 * INCH, 2 * INCH, 4.0,
                               14),
}


@dataclass(frozen=True, slots=True)
class _Script:
    """How one language's titles are set: its face, the faces for characters it lacks,
    and the HarfBuzz buffer's direction and language."""

    language: str
    face: Face
    fallbacks: tuple[str, ...]
    direction: str


def _scripts(labels: list[Label], languages: Sequence[str], typefaces: Typefaces,
             pdf: FPDF) -> tuple[list[_Script], Face]:
    """The fonts the sheet's text needs, attached to the document: each language's face,
    and of the others only those that draw a character of its titles."""
    han = next((script for script in map(script_of, languages)
                if script.split("-")[0] in ("Hans", "Hant", "Jpan", "Kore")), "Hans")
    fallbacks = typefaces.fallbacks(han)
    sans = typefaces.for_script("Latn")
    attach(pdf, sans)  # the short URLs and codes
    scripts = []
    for position, language in enumerate(languages):
        face = typefaces.for_language(language)
        attach(pdf, face)
        text = {char for label in labels if position < len(label.titles)
                for char in label.titles[position]} | {ELLIPSIS}
        lacking = {ord(char) for char in text if not char.isspace()} - characters(face).keys()
        for other in fallbacks:
            if not lacking:
                break
            if other != face and (found := lacking & characters(other).keys()):
                attach(pdf, other)
                lacking -= found
        used = tuple(other.family for other in fallbacks
                     if other != face and other.family in pdf.fonts)
        scripts.append(_Script(language, face, used, direction(language)))
    return scripts, sans


def _use(pdf: FPDF, script: _Script | None, sans: Face) -> None:
    """Set text in a language's face, shaped; or, with None, plain Latin (URLs, codes)."""
    if script is None:
        pdf.set_text_shaping(False)
        pdf.set_fallback_fonts([])
        pdf.set_font(sans.family)
        return
    pdf.set_font(script.face.family)
    pdf.set_fallback_fonts(script.fallbacks, exact_match=False)
    pdf.set_text_shaping(True, direction=script.direction, language=script.language)


def _measure(pdf: FPDF, titles: list[tuple[_Script, str]]) -> list[list[float]]:
    return [advances(title, [font for family in (script.face.family, *script.fallbacks)
                             if isinstance(font := pdf.fonts[family], TTFFont)])
            for script, title in titles]


def _fit_titles(pdf: FPDF, titles: list[tuple[_Script, str]], width: float, height: float,
                largest: float) -> tuple[float, list[list[str]]]:
    """The largest size (in half points) at which every title fits, wrapped; at the smallest,
    lines are cut."""
    widths = _measure(pdf, titles)
    room = width - 2 * pdf.c_margin  # a cell keeps its margin on both sides

    def wrapped_at(size: float) -> list[list[str]]:
        # In thousandths of an em of each title's size: the first's, the others' a step less.
        return [wrap(title, advances, room / (size * (1 if index == 0 else SECOND_SCALE)
                                              * PT_MM) * 1000)
                for index, ((_script, title), advances)
                in enumerate(zip(titles, widths, strict=True))]

    def fits(size: float) -> list[list[str]] | None:
        wrapped = wrapped_at(size)
        needed = sum(len(lines) for lines in wrapped) * size * PT_MM * 1.15
        return wrapped if needed <= height else None

    size, found = largest, fits(largest)
    steps = int((largest - SMALLEST_PT) * 2)  # half points above the smallest
    while found is None and steps > 0:
        steps -= 1
        size = SMALLEST_PT + steps / 2
        found = fits(size)
    wrapped = found if found is not None else wrapped_at(size)
    limit = max(1, int(height / (size * PT_MM * 1.15)))
    kept = []
    for lines in wrapped:
        if len(lines) > limit:
            lines = [*lines[:limit - 1], lines[limit - 1].rstrip() + ELLIPSIS] if limit else []
        kept.append(lines)
        limit -= len(lines)
    return size, kept


def _fit_size(pdf: FPDF, text: str, width: float, largest: float) -> float:
    size = largest
    pdf.set_font_size(size)
    while pdf.get_string_width(text) > width and size > 4:
        size -= 0.25
        pdf.set_font_size(size)
    return size


def _draw_titles(pdf: FPDF, titles: list[tuple[_Script, str]], x: float, y: float,
                 width: float, height: float, sheet: SheetTemplate, sans: Face) -> None:
    size, wrapped = _fit_titles(pdf, titles, width, height, sheet.title_pt)
    line_mm = size * PT_MM * 1.15
    cursor = y
    for index, ((script, _title), lines) in enumerate(zip(titles, wrapped, strict=True)):
        _use(pdf, script, sans)
        # Titles after the first a step smaller and grey, so the languages read apart.
        line_pt = size if index == 0 else size * SECOND_SCALE
        pdf.set_text_color(*((0, 0, 0) if index == 0 else (70, 70, 70)))
        align = "R" if script.direction == "rtl" else "L"
        for line in lines:
            # Shaped text can be wider than the characters' widths the wrapping added up.
            _fit_size(pdf, line, width - 2 * pdf.c_margin, line_pt)
            pdf.set_xy(x, cursor)
            pdf.cell(width, line_mm, line, align=align)
            cursor += line_mm
    pdf.set_text_color(0, 0, 0)


def _draw_label(pdf: FPDF, label: Label, x: float, y: float, sheet: SheetTemplate,
                scripts: list[_Script], sans: Face) -> None:
    width, height = sheet.label_mm
    pad = sheet.padding_mm
    url_mm = max(2.5, height * 0.07)
    side = min(height - 2 * pad - url_mm, width * 0.5)
    symbol = qr_symbol(label.url, QrStyle(error_correction="M"))
    draw_symbol(pdf, symbol, x=x + pad, y=y + pad, module_mm=side / symbol.size)
    # The URL under the QR, as wide as the code's dark part (the quiet zone stays clear).
    _use(pdf, None, sans)
    pdf.set_text_color(60, 60, 60)
    _fit_size(pdf, label.url, side, url_mm / PT_MM * 0.8)
    pdf.set_xy(x + pad, y + pad + side)
    pdf.cell(side, url_mm, label.url, align="C")
    pdf.set_text_color(0, 0, 0)

    text_x = x + pad + side + pad / 2
    text_w = width - (text_x - x) - pad
    code_mm = max(4.0, sheet.title_pt * PT_MM * 1.1)
    titles = [(script, title) for script, title in zip(scripts, label.titles, strict=False)
              if title]
    _draw_titles(pdf, titles, text_x, y + pad, text_w, height - 2 * pad - code_mm, sheet,
                 sans)
    _use(pdf, None, sans)
    _fit_size(pdf, label.code, text_w, sheet.title_pt * 0.9)
    pdf.set_xy(text_x, y + height - pad - code_mm)
    pdf.cell(text_w, code_mm, label.code)


def label_sheet(labels: list[Label], *, template: str, languages: Sequence[str],
                typefaces: Typefaces | None = None,
                on_label: Callable[[int], None] | None = None) -> bytes:
    """A PDF of as many pages as the labels need, in order, left to right, top to bottom;
    each label's titles are in `languages`, in that order. FontMissing when a script's
    font is not installed. `on_label(done)` is called after each label, so a worker can
    report progress."""
    sheet = TEMPLATES[template]
    pdf = FPDF(unit="mm", format=sheet.page_mm)
    pdf.set_margin(0)
    pdf.set_auto_page_break(False)
    pdf.set_title("motpub labels")
    try:
        scripts, sans = _scripts(labels, languages, typefaces or Typefaces(), pdf)
        _use(pdf, None, sans)
        pdf.set_font_size(10)
        for index, label in enumerate(labels):
            slot = index % sheet.per_page
            if slot == 0:
                pdf.add_page()
            row, column = divmod(slot, sheet.columns)
            _draw_label(pdf, label, sheet.left_mm + column * sheet.pitch_x_mm,
                        sheet.top_mm + row * sheet.pitch_y_mm, sheet, scripts, sans)
            if on_label is not None:
                on_label(index + 1)
        return bytes(pdf.output())
    finally:
        release(pdf)
