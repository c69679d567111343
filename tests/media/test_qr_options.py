"""Every print option still gives a code that a scanner reads, in all three formats."""

from __future__ import annotations

import io
import subprocess

import pytest
from PIL import Image

from motpub.printing.qr import QUIET_ZONE_MODULES, QrStyle, qr_pdf, qr_png, qr_svg, qr_symbol

URL = "https://motpub.example/s/k7m3p9qa"

VARIANTS = {
    "default": QrStyle(),
    "small-modules-level-L": QrStyle(error_correction="L", module_mm=0.4),
    "brand-blue-on-cream-Q": QrStyle(error_correction="Q", fg="#0b5cad", bg="#fffbe6"),
    "logo": QrStyle(error_correction="H", has_logo=True),
    "large-grey-at-threshold": QrStyle(error_correction="H", module_mm=3, fg="#767676"),
    "logo-dark-red-on-white": QrStyle(error_correction="H", has_logo=True, fg="#7a1010",
                                      module_mm=0.5),
}


def zbar(path) -> str:
    return subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True,
                          text=True, check=True).stdout.strip()


def render_svg(svg: bytes, tmp_path) -> str:
    """Headless Chromium draws the SVG on a 600 px page; zbarimg reads the screenshot."""
    (tmp_path / "qr.svg").write_bytes(svg)
    (tmp_path / "page.html").write_text(
        '<html><body style="margin:0;background:#fff">'
        '<img src="qr.svg" style="width:600px;height:600px"></body></html>')
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", f"--screenshot={tmp_path / 'shot.png'}",
                    "--window-size=600,600", f"file://{tmp_path / 'page.html'}"],
                   check=True, capture_output=True, timeout=60)
    return zbar(tmp_path / "shot.png")


@pytest.mark.parametrize("style", VARIANTS.values(), ids=VARIANTS.keys())
def test_png_of_every_variant_decodes(tmp_path, style):
    (tmp_path / "qr.png").write_bytes(qr_png(URL, style=style))
    assert zbar(tmp_path / "qr.png") == URL


@pytest.mark.parametrize("style", VARIANTS.values(), ids=VARIANTS.keys())
def test_pdf_of_every_variant_decodes_at_300_dpi(tmp_path, style):
    (tmp_path / "qr.pdf").write_bytes(qr_pdf(URL, caption=URL, style=style))
    subprocess.run(["pdftoppm", "-png", "-r", "300", "-singlefile", str(tmp_path / "qr.pdf"),
                    str(tmp_path / "page")], check=True)
    assert zbar(tmp_path / "page.png") == URL


@pytest.mark.parametrize("style", VARIANTS.values(), ids=VARIANTS.keys())
def test_svg_of_every_variant_decodes_in_a_browser(tmp_path, style):
    assert render_svg(qr_svg(URL, style=style), tmp_path) == URL


def test_module_size_sets_the_printed_size():
    symbol = qr_symbol(URL, QrStyle(module_mm=0.5))
    svg = qr_svg(URL, style=QrStyle(module_mm=0.5)).decode()
    assert f'width="{symbol.size * 0.5:g}mm"' in svg
    png = Image.open(io.BytesIO(qr_png(URL, style=QrStyle(module_mm=0.5))))
    # 0.5 mm at 300 dpi is 6 pixels a module, and the file says 300 dpi.
    assert png.width == symbol.size * 6
    assert round(png.info["dpi"][0]) == 300


def test_logo_uses_level_h_and_stays_inside_a_fifth_of_the_symbol():
    plain = qr_symbol(URL, QrStyle(error_correction="L"))
    with_logo = qr_symbol(URL, QrStyle(error_correction="L", has_logo=True))
    assert with_logo.size > plain.size  # level H needs the larger version
    xs = [x for shape in with_logo.mark for x, _y in shape]
    inner = with_logo.size - 2 * QUIET_ZONE_MODULES
    covered = (max(xs) - min(xs) + 2) ** 2  # the mark and its cleared border
    assert 0 < covered <= 0.2 * inner * inner


def test_quiet_zone_is_four_modules_with_every_option():
    for style in VARIANTS.values():
        symbol = qr_symbol(URL, style)
        low = min(min(x for x, _y, _n in symbol.runs), min(y for _x, y, _n in symbol.runs))
        high = max(max(x + n for x, _y, n in symbol.runs),
                   max(y + 1 for _x, y, _n in symbol.runs))
        assert low == QUIET_ZONE_MODULES
        assert symbol.size - high == QUIET_ZONE_MODULES


def test_png_pixels_use_the_chosen_colours():
    png = Image.open(io.BytesIO(qr_png(URL, style=QrStyle(fg="#0b5cad", bg="#fffbe6"))))
    colours = {colour for _count, colour in png.convert("RGB").getcolors()}
    assert colours == {(0x0b, 0x5c, 0xad), (0xff, 0xfb, 0xe6)}
