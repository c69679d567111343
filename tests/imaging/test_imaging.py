"""motpub.imaging on real files written here with Pillow (and pyvips, pillow-heif): what is
refused before decoding, and what the derivatives hold and no longer hold."""

from __future__ import annotations

import io
import resource
import struct
import time
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pillow_heif
import pytest
import pyvips
from PIL import Image

from motpub.imaging import ImageError, derivative_widths, probe, process

MAX_PIXELS = 200_000_000
GPS = {1: "N", 2: (39.0, 54.0, 24.0), 3: "E", 4: (116.0, 23.0, 30.0)}
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
       b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
       b'exif:GPSLatitude="39,54.4N"/></rdf:RDF></x:xmpmeta>')


def scene(width: int, height: int) -> Image.Image:
    """A picture with detail and a different colour in each corner (to see rotations)."""
    image = Image.linear_gradient("L").resize((width, height))
    red = Image.new("L", (width, height), 0)
    red.paste(255, (0, 0, width // 2, height // 2))
    return Image.merge("RGB", (red, image, image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))


def phone_photo(path: Path, *, orientation: int = 6) -> Path:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Pear Phone"  # Make
    exif[0x927C] = b"maker notes of the phone"  # MakerNote
    exif.get_ifd(0x8825).update(GPS)
    scene(800, 600).save(path, exif=exif, xmp=XMP, comment=b"taken at the curator's home",
                         quality=90)
    return path


def served_files(out: Path) -> list[Path]:
    return [path for path in out.rglob("*") if path.is_file()]


def test_a_gps_tagged_phone_photo_leaves_no_metadata_in_anything_served(tmp_path):
    source = phone_photo(tmp_path / "phone.jpg")
    with Image.open(source) as original:  # the test's own premise
        assert original.getexif().get_ifd(0x8825) and b"GPS" in source.read_bytes()
    result = process(source, tmp_path / "out", max_pixels=MAX_PIXELS)
    assert (result.width, result.height) == (600, 800)  # orientation 6: turned upright
    files = served_files(tmp_path / "out")
    assert {path.suffix for path in files} == {".avif", ".webp", ".jpg"}
    for path in files:
        data = path.read_bytes()
        for marker in (b"GPS", b"Exif", b"xmpmeta", b"ns.adobe.com", b"Pear Phone",
                       b"maker notes", b"curator"):
            assert marker not in data, (path.name, marker)
        with Image.open(path) as served:
            assert not served.getexif(), path.name
            assert not served.info.get("xmp") and not served.info.get("comment")
    placeholder = result.placeholder.removeprefix("data:image/webp;base64,")
    assert len(result.placeholder) <= 400 and placeholder != result.placeholder
    assert b"GPS" not in __import__("base64").b64decode(placeholder)


def test_derivatives_are_never_upscaled_and_include_the_pictures_own_width(tmp_path):
    assert derivative_widths(1000) == [320, 640, 960, 1000]
    assert derivative_widths(960) == [320, 640, 960]
    assert derivative_widths(200) == [200]
    assert derivative_widths(5000) == [320, 640, 960, 1280, 1920, 2560]
    scene(1000, 500).save(tmp_path / "wide.png")
    result = process(tmp_path / "wide.png", tmp_path / "out", max_pixels=MAX_PIXELS)
    assert [(d.format, d.width, d.height) for d in result.derivatives if d.format == "jpeg"] \
        == [("jpeg", 320, 160), ("jpeg", 640, 320), ("jpeg", 960, 480), ("jpeg", 1000, 500)]
    for derivative in result.derivatives:
        with Image.open(tmp_path / "out" / derivative.path) as served:
            assert served.size == (derivative.width, derivative.height)
            assert served.format == {"avif": "AVIF", "webp": "WEBP", "jpeg": "JPEG"}[
                derivative.format]
    assert result.color.startswith("#") and len(result.color) == 7
    assert result.tiles is None


def test_exif_orientation_is_applied(tmp_path):
    source = phone_photo(tmp_path / "phone.jpg", orientation=6)  # turned 90° clockwise
    result = process(source, tmp_path / "out", max_pixels=MAX_PIXELS)
    with Image.open(tmp_path / "out" / "600.jpg") as upright:
        assert upright.size == (600, 800)
        # The red corner, top left as stored, is top right once turned clockwise.
        assert upright.getpixel((590, 10))[0] > 200 and upright.getpixel((10, 10))[0] < 60
    assert result.source.width == 800


def test_cmyk_jpeg_becomes_srgb(tmp_path):
    Image.new("CMYK", (300, 200), (0, 255, 255, 0)).save(tmp_path / "cmyk.jpg")  # red ink
    result = process(tmp_path / "cmyk.jpg", tmp_path / "out", max_pixels=MAX_PIXELS)
    with Image.open(tmp_path / "out" / "300.jpg") as served:
        assert served.mode == "RGB"
        red, green, blue = served.getpixel((150, 100))
        assert red > 180 and green < 90 and blue < 90
    assert int(result.color[1:3], 16) > 180


def test_16_bit_png_and_tiff_become_8_bit(tmp_path):
    Image.new("I;16", (400, 300), 40000).save(tmp_path / "grey16.png")
    rgb16 = (pyvips.Image.black(400, 300, bands=3) + [65535, 32768, 0]).cast("ushort") \
        .copy(interpretation="rgb16")
    rgb16.tiffsave(str(tmp_path / "rgb16.tif"))
    for name, expected in (("grey16.png", (156, 156, 156)), ("rgb16.tif", (255, 128, 0))):
        process(tmp_path / name, tmp_path / name.replace(".", "-"), max_pixels=MAX_PIXELS)
        with Image.open(tmp_path / name.replace(".", "-") / "400.jpg") as served:
            assert served.mode == "RGB"
            assert all(abs(a - b) < 8 for a, b in zip(served.getpixel((200, 150)), expected,
                                                        strict=True))


def test_an_embedded_icc_profile_is_converted_to_srgb(tmp_path):
    display_p3 = pyvips.Image.black(1, 1, bands=3).icc_transform(
        "p3", input_profile="srgb").get("icc-profile-data")
    pixels = Image.new("RGB", (300, 200), (200, 100, 50))
    pixels.save(tmp_path / "p3.png", icc_profile=display_p3)
    pixels.save(tmp_path / "plain.png")
    tagged = process(tmp_path / "p3.png", tmp_path / "p3", max_pixels=MAX_PIXELS)
    plain = process(tmp_path / "plain.png", tmp_path / "plain", max_pixels=MAX_PIXELS)
    # Display P3's orange is redder than sRGB's same numbers.
    assert int(tagged.color[1:3], 16) > int(plain.color[1:3], 16) + 5
    with Image.open(tmp_path / "p3" / "300.jpg") as served:
        assert served.getpixel((150, 100))[0] > 205


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF", "WEBP", "TIFF", "GIF"])
def test_heic_avif_webp_tiff_and_still_gif_are_read(tmp_path, fmt):
    pillow_heif.register_heif_opener()
    source = tmp_path / f"picture.{fmt.lower()}"
    scene(640, 480).save(source, format=fmt)
    result = process(source, tmp_path / "out", max_pixels=MAX_PIXELS)
    assert (result.width, result.height) == (640, 480)
    assert {d.format for d in result.derivatives} == {"avif", "webp", "jpeg"}
    with Image.open(tmp_path / "out" / "640.jpg") as served:
        assert served.getpixel((10, 10))[0] > 200  # the red corner made it through


def bomb_png(path: Path, side: int = 100_000) -> Path:
    """A PNG whose header says side x side pixels: a few KB that would decode to 30 GB."""
    def chunk(name: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + name + data
                + struct.pack(">I", zlib.crc32(name + data) & 0xFFFFFFFF))

    pixels = zlib.compress(b"\x00" * (side + 1) * 50, 9)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(
        ">IIBBBBB", side, side, 8, 2, 0, 0, 0)) + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))
    return path


def test_a_decompression_bomb_is_refused_fast_before_decoding(tmp_path):
    source = bomb_png(tmp_path / "bomb.png")
    assert source.stat().st_size < 20_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(ImageError) as refused:
        process(source, tmp_path / "out", max_pixels=MAX_PIXELS)
    assert time.perf_counter() - started < 1.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024  # KB
    assert refused.value.code == "image_too_many_pixels"
    assert refused.value.params["width"] == 100_000 and refused.value.params["limit"] == 200
    assert not (tmp_path / "out").exists()


def test_a_truncated_file_is_refused_as_damaged(tmp_path):
    scene(800, 600).save(tmp_path / "whole.png")
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError) as refused:
        process(tmp_path / "cut.png", tmp_path / "out", max_pixels=MAX_PIXELS)
    assert refused.value.code == "image_damaged"


@pytest.mark.parametrize(("content", "code"), [
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)'
     b"</script></svg>", "image_is_svg"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "image_is_svg"),
    (b"this is a text file that says it is a JPEG\n" * 20, "image_unknown_format"),
    (b"<!doctype html><html><body>hello</body></html>", "image_unknown_format"),
    (b"PK\x03\x04" + b"\x00" * 100, "image_unknown_format"),
    (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 64,
     "image_is_video"),
    (b"", "image_empty"),
])
def test_files_that_are_not_pictures_are_refused_by_their_bytes(tmp_path, content, code):
    (tmp_path / "upload.jpg").write_bytes(content)
    with pytest.raises(ImageError) as refused:
        probe(tmp_path / "upload.jpg", max_pixels=MAX_PIXELS)
    assert refused.value.code == code


def test_an_animated_gif_is_refused_with_its_frame_count(tmp_path):
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("red", "green", "blue")]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100,
                   loop=0)
    frames[0].save(tmp_path / "anim.png", save_all=True, append_images=frames[1:], duration=100)
    frames[0].save(tmp_path / "anim.webp", save_all=True, append_images=frames[1:],
                   duration=100)
    for name in ("anim.gif", "anim.png", "anim.webp"):
        with pytest.raises(ImageError) as refused:
            probe(tmp_path / name, max_pixels=MAX_PIXELS)
        assert (refused.value.code, refused.value.params) == ("image_animated", {"frames": 3})


def test_a_polyglot_is_reencoded_so_nothing_of_it_is_served(tmp_path):
    picture = io.BytesIO()
    scene(400, 300).save(picture, format="JPEG")
    html = b"<html><script>alert(document.cookie)</script></html>"
    zip_tail = b"PK\x03\x04" + b"\x00" * 26 + b"PK\x05\x06" + b"\x00" * 18
    (tmp_path / "polyglot.jpg").write_bytes(picture.getvalue() + html + zip_tail)
    process(tmp_path / "polyglot.jpg", tmp_path / "out", max_pixels=MAX_PIXELS)
    for path in served_files(tmp_path / "out"):
        data = path.read_bytes()
        assert b"<html" not in data and b"<script" not in data and b"PK\x03\x04" not in data


def test_a_5000_px_picture_gets_a_valid_deep_zoom_pyramid(tmp_path):
    scene(5000, 1200).save(tmp_path / "scroll.jpg", quality=85)
    result = process(tmp_path / "scroll.jpg", tmp_path / "out", max_pixels=MAX_PIXELS)
    assert result.tiles == Path("tiles.dzi")
    dzi = ET.parse(tmp_path / "out" / "tiles.dzi").getroot()
    namespace = "{http://schemas.microsoft.com/deepzoom/2008}"
    assert dzi.tag == f"{namespace}Image"
    assert (dzi.get("TileSize"), dzi.get("Overlap"), dzi.get("Format")) == ("254", "1", "jpg")
    size = dzi.find(f"{namespace}Size")
    assert (size.get("Width"), size.get("Height")) == ("5000", "1200")
    top = 13  # ceil(log2(5000))
    levels = sorted(int(p.name) for p in (tmp_path / "out" / "tiles_files").iterdir())
    assert levels == list(range(top + 1))
    columns = -(-5000 // 254)
    tiles = list((tmp_path / "out" / "tiles_files" / str(top)).glob("*.jpg"))
    assert len(tiles) == columns * -(-1200 // 254)
    with Image.open(tmp_path / "out" / "tiles_files" / str(top) / "0_0.jpg") as first:
        assert first.size == (255, 255)  # 254 and the overlap on the inner edges
    with Image.open(tmp_path / "out" / "tiles_files" / str(top) / "1_1.jpg") as inner:
        assert inner.size == (256, 256)
        assert not inner.getexif()
    assert not list((tmp_path / "out").rglob("*.xml"))
    assert [d.width for d in result.derivatives if d.format == "webp"][-1] == 2560


@pytest.mark.parametrize("size", [(120, 4000), (4100, 90), (2000, 1500)])
def test_the_placeholder_stays_tiny_whatever_the_shape(tmp_path, size):
    scene(*size).save(tmp_path / "shape.png")
    result = process(tmp_path / "shape.png", tmp_path / "out", max_pixels=MAX_PIXELS)
    assert len(result.placeholder) <= 400
    data = __import__("base64").b64decode(result.placeholder.split(",", 1)[1])
    with Image.open(io.BytesIO(data)) as tiny:
        assert max(tiny.size) == 16 and min(tiny.size) >= 1
