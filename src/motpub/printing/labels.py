"""Sheets of bilingual labels as vector PDF, laid out for standard die-cut label stock.

Each label carries a QR drawn as vector shapes (never a bitmap, so it prints sharp at any
size), the short URL under it, the item's title in Chinese and English and the code.
Every piece of text is set in one embedded, subsetted CJK font, which also has Latin
glyphs: the printer needs no font of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import MethodReturnValue

from motpub.printing.qr import QrStyle, draw_symbol, qr_symbol

# Debian and Ubuntu packages, most preferred first; MOTPUB_CJK_FONT_PATH overrides them.
CJK_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
)
FONT = "cjk"
PT_MM = 25.4 / 72


class FontMissing(Exception):
    """No CJK font to embed: labels would show empty boxes instead of Chinese."""


@dataclass(frozen=True, slots=True)
class Label:
    titles: tuple[str, ...]  # one a content language, in the editors' order
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


def find_cjk_font(configured: Path | None = None) -> Path:
    candidates = (configured,) if configured else CJK_FONT_CANDIDATES
    for path in candidates:
        if path and path.is_file():
            return path
    raise FontMissing(
        "no CJK font found for labels: install fonts-wqy-microhei "
        "or set MOTPUB_CJK_FONT_PATH to a TrueType (.ttf or .ttc) font with Chinese glyphs "
        f"(looked at {', '.join(str(path) for path in candidates)})")


def _lines(pdf: FPDF, text: str, width: float, size: float) -> list[str]:
    pdf.set_font_size(size)
    return pdf.multi_cell(width, size * PT_MM, text, dry_run=True,
                          output=MethodReturnValue.LINES)


def _fit_titles(pdf: FPDF, titles: list[str], width: float, height: float,
                largest: float) -> tuple[float, list[list[str]]]:
    """The largest size at which every title fits, wrapped; at the smallest, lines are cut."""
    size = largest
    while True:
        wrapped = [_lines(pdf, title, width, size) for title in titles]
        needed = sum(len(lines) for lines in wrapped) * size * PT_MM * 1.15
        if needed <= height or size <= 5:
            break
        size -= 0.5
    limit = max(1, int(height / (size * PT_MM * 1.15)))
    kept = []
    for lines in wrapped:
        if len(lines) > limit:
            lines = [*lines[:limit - 1], lines[limit - 1].rstrip() + "…"] if limit else []
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


def _draw_label(pdf: FPDF, label: Label, x: float, y: float, sheet: SheetTemplate) -> None:
    width, height = sheet.label_mm
    pad = sheet.padding_mm
    url_mm = max(2.5, height * 0.07)
    side = min(height - 2 * pad - url_mm, width * 0.5)
    symbol = qr_symbol(label.url, QrStyle(error_correction="M"))
    draw_symbol(pdf, symbol, x=x + pad, y=y + pad, module_mm=side / symbol.size)
    # The URL under the QR, as wide as the code's dark part (the quiet zone stays clear).
    pdf.set_text_color(60, 60, 60)
    size = _fit_size(pdf, label.url, side, url_mm / PT_MM * 0.8)
    pdf.set_xy(x + pad, y + pad + side)
    pdf.cell(side, url_mm, label.url, align="C")
    pdf.set_text_color(0, 0, 0)

    text_x = x + pad + side + pad / 2
    text_w = width - (text_x - x) - pad
    code_mm = max(4.0, sheet.title_pt * PT_MM * 1.1)
    titles = [title for title in label.titles if title]
    size, wrapped = _fit_titles(pdf, titles, text_w, height - 2 * pad - code_mm,
                                sheet.title_pt)
    line_mm = size * PT_MM * 1.15
    cursor = y + pad
    for index, lines in enumerate(wrapped):
        # Titles after the first a step smaller and grey, so the languages read apart.
        pdf.set_font_size(size if index == 0 else size * 0.9)
        if index:
            pdf.set_text_color(70, 70, 70)
        for line in lines:
            pdf.set_xy(text_x, cursor)
            pdf.cell(text_w, line_mm, line)
            cursor += line_mm
    pdf.set_text_color(0, 0, 0)
    size = _fit_size(pdf, label.code, text_w, sheet.title_pt * 0.9)
    pdf.set_xy(text_x, y + height - pad - code_mm)
    pdf.cell(text_w, code_mm, label.code)


def label_sheet(labels: list[Label], *, template: str, font_path: Path,
                on_label: Callable[[int], None] | None = None) -> bytes:
    """A PDF of as many pages as the labels need, in order, left to right, top to bottom.
    `on_label(done)` is called after each label, so a worker can report progress."""
    sheet = TEMPLATES[template]
    pdf = FPDF(unit="mm", format=sheet.page_mm)
    pdf.set_margin(0)
    pdf.set_auto_page_break(False)
    pdf.set_title("motpub labels")
    collection = {"collection_font_number": 0} if font_path.suffix.lower() == ".ttc" else {}
    pdf.add_font(FONT, fname=str(font_path), **collection)
    pdf.set_font(FONT, size=10)
    for index, label in enumerate(labels):
        slot = index % sheet.per_page
        if slot == 0:
            pdf.add_page()
        row, column = divmod(slot, sheet.columns)
        _draw_label(pdf, label, sheet.left_mm + column * sheet.pitch_x_mm,
                    sheet.top_mm + row * sheet.pitch_y_mm, sheet)
        if on_label is not None:
            on_label(index + 1)
    return bytes(pdf.output())
