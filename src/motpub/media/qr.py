"""QR codes as SVG, PNG and vector PDF."""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
from fpdf import FPDF
from qrcode.image.svg import SvgPathFillImage

QUIET_ZONE_MODULES = 4
ERROR_CORRECTION = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


def _qr(data: str, error_correction: str, box_size: int = 10) -> qrcode.QRCode:
    qr = qrcode.QRCode(
        error_correction=ERROR_CORRECTION[error_correction],
        box_size=box_size,
        border=QUIET_ZONE_MODULES,
    )
    qr.add_data(data)
    qr.make(fit=True)
    return qr


def qr_svg(data: str, *, error_correction: str = "M") -> bytes:
    image = _qr(data, error_correction).make_image(image_factory=SvgPathFillImage)
    return image.to_string(encoding="unicode").encode()


def qr_png(data: str, *, error_correction: str = "M", box_size: int = 10) -> bytes:
    image = _qr(data, error_correction, box_size).make_image(fill_color="black",
                                                             back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def qr_pdf(data: str, *, caption: str = "", error_correction: str = "M",
           module_mm: float = 1.0) -> bytes:
    """A vector PDF page the size of the code (plus a caption line), one rectangle a module."""
    matrix = _qr(data, error_correction).get_matrix()  # includes the quiet zone
    size_mm = len(matrix) * module_mm
    caption_mm = 8 if caption else 0
    pdf = FPDF(unit="mm", format=(size_mm, size_mm + caption_mm))
    pdf.set_margin(0)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    runs = []
    for row_index, row in enumerate(matrix):
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            runs.append((start, row_index, column - start))
    # One filled path for all modules: separate rectangles leave hairline anti-aliasing
    # seams between rows on screen and in rasterizers, which some scanners trip over.
    with pdf.new_path() as path:
        path.style.fill_color = "#000000"
        path.style.stroke_color = None
        for column, row_index, length in runs:
            path.rectangle(column * module_mm, row_index * module_mm, length * module_mm,
                           module_mm)
    if caption:
        font_size = 9.0
        pdf.set_font("Helvetica", size=font_size)
        while pdf.get_string_width(caption) > size_mm - 2 and font_size > 4:
            font_size -= 0.5
            pdf.set_font_size(font_size)
        pdf.set_xy(0, size_mm)
        pdf.cell(size_mm, caption_mm / 2, caption, align="C")
    return bytes(pdf.output())
