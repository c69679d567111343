"""QR codes as SVG, PNG and vector PDF, in a chosen module size, colours and error correction,
with an optional motpub mark in the centre."""

from __future__ import annotations

import io
from dataclasses import dataclass

import qrcode
import qrcode.constants
from fpdf import FPDF
from fpdf.drawing import PaintedPath
from fpdf.enums import PathPaintRule
from PIL import Image, ImageDraw

QUIET_ZONE_MODULES = 4
ERROR_CORRECTION = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}
PNG_DPI = 300
# The mark's square is this share of the symbol's side: about 10% of its area, well inside
# what level H restores (30% of the codewords), and clear of the three finder patterns.
LOGO_SIDE_SHARE = 0.32


@dataclass(frozen=True, slots=True)
class QrStyle:
    """How a code is drawn. module_mm None keeps each format's own default size."""

    error_correction: str = "M"
    module_mm: float | None = None
    fg: str = "#000000"
    bg: str = "#ffffff"
    has_logo: bool = False


@dataclass(frozen=True, slots=True)
class Symbol:
    """Dark modules as runs (column, row, length), on a square of `size` modules that
    includes the quiet zone, and the mark's shapes in module units."""

    size: int
    runs: list[tuple[int, int, int]]
    mark: list[list[tuple[float, float]]]


def _qr(data: str, error_correction: str, box_size: int = 10) -> qrcode.QRCode:
    qr = qrcode.QRCode(
        error_correction=ERROR_CORRECTION[error_correction],
        box_size=box_size,
        border=QUIET_ZONE_MODULES,
    )
    qr.add_data(data)
    qr.make(fit=True)
    return qr


def _mark(size: int) -> tuple[tuple[int, int], list[list[tuple[float, float]]]]:
    """The cleared square (first and last module index) and the mark in it: a frame and a
    play triangle, the sign of a media page."""
    inner = size - 2 * QUIET_ZONE_MODULES
    side = max(5, int(inner * LOGO_SIDE_SHARE))
    side += (inner - side) % 2  # centred on whole modules
    start = QUIET_ZONE_MODULES + (inner - side) // 2
    a, b = start + 1, start + side - 1  # one module of background around the frame
    w = 0.8
    frame = [
        [(a, a), (b, a), (b, a + w), (a, a + w)],
        [(a, b - w), (b, b - w), (b, b), (a, b)],
        [(a, a), (a + w, a), (a + w, b), (a, b)],
        [(b - w, a), (b, a), (b, b), (b - w, b)],
    ]
    middle, half = (a + b) / 2, (b - a) * 0.22
    triangle = [(middle - half * 0.8, middle - half), (middle + half * 1.1, middle),
                (middle - half * 0.8, middle + half)]
    return (start, start + side), [*frame, triangle]


def qr_symbol(data: str, style: QrStyle = QrStyle()) -> Symbol:
    level = "H" if style.has_logo else style.error_correction
    matrix = _qr(data, level).get_matrix()  # includes the quiet zone
    size = len(matrix)
    mark: list = []
    if style.has_logo:
        (low, high), mark = _mark(size)
        for row in range(low, high):
            for column in range(low, high):
                matrix[row][column] = False
    runs = []
    for row_index, row in enumerate(matrix):
        column = 0
        while column < size:
            if not row[column]:
                column += 1
                continue
            start = column
            while column < size and row[column]:
                column += 1
            runs.append((start, row_index, column - start))
    return Symbol(size, runs, mark)


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def qr_svg(data: str, *, error_correction: str = "M", style: QrStyle | None = None) -> bytes:
    style = style or QrStyle(error_correction=error_correction)
    symbol = qr_symbol(data, style)
    side_mm = _number(symbol.size * (style.module_mm or 1.0))
    path = "".join(f"M{x},{y}h{n}v1h-{n}z" for x, y, n in symbol.runs)
    path += "".join("M" + "L".join(f"{_number(x)},{_number(y)}" for x, y in shape) + "z"
                    for shape in symbol.mark)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{side_mm}mm" '
        f'height="{side_mm}mm" viewBox="0 0 {symbol.size} {symbol.size}" '
        f'shape-rendering="crispEdges"><rect width="{symbol.size}" height="{symbol.size}" '
        f'fill="{style.bg}"/><path d="{path}" fill="{style.fg}"/></svg>'
    ).encode()


def qr_png(data: str, *, error_correction: str = "M", box_size: int = 10,
           style: QrStyle | None = None) -> bytes:
    """A two-colour PNG; with a module size, pixels are counted at 300 dpi."""
    style = style or QrStyle(error_correction=error_correction)
    if style.module_mm:
        box_size = max(1, round(style.module_mm / 25.4 * PNG_DPI))
    symbol = qr_symbol(data, style)
    image = Image.new("P", (symbol.size * box_size,) * 2, 0)
    image.putpalette([*_rgb(style.bg), *_rgb(style.fg)])
    draw = ImageDraw.Draw(image)
    for x, y, n in symbol.runs:
        draw.rectangle([x * box_size, y * box_size, (x + n) * box_size - 1,
                        (y + 1) * box_size - 1], fill=1)
    for shape in symbol.mark:
        draw.polygon([(x * box_size, y * box_size) for x, y in shape], fill=1)
    buffer = io.BytesIO()
    save = {"dpi": (PNG_DPI, PNG_DPI)} if style.module_mm else {}
    image.save(buffer, format="PNG", optimize=True, **save)
    return buffer.getvalue()


def draw_symbol(pdf: FPDF, symbol: Symbol, *, x: float, y: float, module_mm: float,
                fg: str = "#000000", bg: str = "#ffffff") -> None:
    """Draw a symbol as vector shapes at (x, y) in the page's units."""
    if bg.lower() != "#ffffff":
        pdf.set_fill_color(*_rgb(bg))
        pdf.rect(x, y, symbol.size * module_mm, symbol.size * module_mm, style="F")
    # One filled path for all modules: separate rectangles leave hairline anti-aliasing
    # seams between rows on screen and in rasterizers, which some scanners trip over.
    path = PaintedPath()
    path.style.paint_rule = PathPaintRule.AUTO
    path.style.fill_color = fg
    path.style.stroke_color = None
    for column, row, length in symbol.runs:
        path.rectangle(x + column * module_mm, y + row * module_mm, length * module_mm,
                       module_mm)
    for shape in symbol.mark:
        first, *rest = shape
        path.move_to(x + first[0] * module_mm, y + first[1] * module_mm)
        for px, py in rest:
            path.line_to(x + px * module_mm, y + py * module_mm)
        path.close()
    # Not copied (new_path would deep-copy its thousand rectangles): nothing else holds it.
    with pdf.drawing_context() as context:
        context.add_item(path, clone=False)


def qr_pdf(data: str, *, caption: str = "", error_correction: str = "M",
           module_mm: float = 1.0, style: QrStyle | None = None) -> bytes:
    """A vector PDF page the size of the code (plus a caption line), one path of modules."""
    style = style or QrStyle(error_correction=error_correction, module_mm=module_mm)
    module_mm = style.module_mm or module_mm
    symbol = qr_symbol(data, style)
    size_mm = symbol.size * module_mm
    caption_mm = 8 if caption else 0
    pdf = FPDF(unit="mm", format=(size_mm, size_mm + caption_mm))
    pdf.set_margin(0)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    draw_symbol(pdf, symbol, x=0, y=0, module_mm=module_mm, fg=style.fg, bg=style.bg)
    if caption:
        font_size = 9.0
        pdf.set_font("Helvetica", size=font_size)
        while pdf.get_string_width(caption) > size_mm - 2 and font_size > 4:
            font_size -= 0.5
            pdf.set_font_size(font_size)
        pdf.set_xy(0, size_mm)
        pdf.cell(size_mm, caption_mm / 2, caption, align="C")
    return bytes(pdf.output())


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)

