from __future__ import annotations

import subprocess

import pytest

from motpub.printing.qr import qr_pdf, qr_png, qr_svg

URL = "https://motpub.example/s/k7m3p9qa"


def zbar(path) -> str:
    return subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True,
                          text=True, check=True).stdout.strip()


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_png_decodes_at_every_error_correction_level(tmp_path, level):
    path = tmp_path / "qr.png"
    path.write_bytes(qr_png(URL, error_correction=level))
    assert zbar(path) == URL


def test_vector_pdf_decodes_after_rasterizing_at_300_dpi(tmp_path):
    pdf = tmp_path / "qr.pdf"
    pdf.write_bytes(qr_pdf(URL, caption=URL))
    subprocess.run(["pdftoppm", "-png", "-r", "300", "-singlefile", str(pdf),
                    str(tmp_path / "page")], check=True)
    assert zbar(tmp_path / "page.png") == URL


def test_pdf_draws_modules_as_vectors_not_an_image():
    pdf = qr_pdf(URL)
    assert b"/Subtype /Image" not in pdf


def test_svg_has_white_background_and_four_module_quiet_zone():
    svg = qr_svg(URL).decode()
    assert 'fill="white"' in svg or "fill=\"#ffffff\"" in svg.lower()
    # The path starts at module 4: the quiet zone is 4 modules wide.
    assert 'd="M4,4' in svg


def test_png_quiet_zone_is_four_modules(tmp_path):
    from PIL import Image
    import io

    image = Image.open(io.BytesIO(qr_png(URL, box_size=10))).convert("L")
    # The first dark pixel on the diagonal sits 4 modules (40 px) in.
    first_dark = next(i for i in range(image.width) if image.getpixel((i, i)) < 128)
    assert first_dark == 40
