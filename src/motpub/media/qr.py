"""QR codes as SVG, PNG and vector PDF."""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
from fpdf import FPDF
from qrcode.image.svg import SvgPathImage

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
    image = _qr(data, error_correction).make_image(image_factory=SvgPathImage)
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
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(matrix):
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            # One rectangle per horizontal run keeps the file small and the edges clean.
            pdf.rect(start * module_mm, row_index * module_mm,
                     (column - start) * module_mm, module_mm, style="F")
    if caption:
        pdf.set_font("Helvetica", size=9)
        pdf.set_xy(0, size_mm)
        pdf.cell(size_mm, caption_mm / 2, caption, align="C")
    return bytes(pdf.output())
