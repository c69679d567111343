"""What a file is, from its first bytes and its header, before anything is decoded.

The magic bytes decide, never the name or the declared content type, so a text file sent as
image/jpeg, an SVG (it can carry scripts) or a video is refused here. The pixel count is
read from the header and checked before any decoding: a 100,000 x 100,000 PNG of a few KB
(a decompression bomb) costs a header read, not 30 GB. Animated GIF, WebP and PNG files
are refused rather than cut to their first frame, which would publish a picture the editor
never chose.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from motpub.imaging.errors import ImageError

_HEAD_BYTES = 4096
# ISO base media brands (the `ftyp` box) of still pictures; any other is a video or audio.
_AVIF_BRANDS = {b"avif", b"avis"}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs",
                b"mif1", b"msf1", b"mif2"}


@dataclass(frozen=True)
class ImageInfo:
    format: str  # jpeg, png, gif, webp, tiff, avif, heif
    width: int  # as stored, before the EXIF orientation is applied
    height: int


def sniff(head: bytes) -> str:
    """The picture format of a file starting with `head`, or ImageError saying what it is."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[4:8] == b"ftyp":
        size = int.from_bytes(head[:4], "big")
        brands = {head[8:12]} | {head[i:i + 4] for i in range(16, min(size, len(head)), 4)}
        if brands & _AVIF_BRANDS:
            return "avif"
        if brands & _HEIF_BRANDS:
            return "heif"
        raise ImageError("image_is_video")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in text[:_HEAD_BYTES] and (text.startswith((b"<?xml", b"<svg", b"<!doctype svg",
                                                           b"<!--"))):
        raise ImageError("image_is_svg")
    if head.startswith((b"\x1aE\xdf\xa3", b"RIFF", b"OggS", b"ID3", b"fLaC")) \
            or head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        raise ImageError("image_is_video")
    raise ImageError("image_unknown_format")


def probe(path: Path, *, max_pixels: int) -> ImageInfo:
    """The format and size of the picture at `path`, read from its header only."""
    with open(path, "rb") as file:
        head = file.read(_HEAD_BYTES)
    if not head:
        raise ImageError("image_empty")
    kind = sniff(head)
    width, height, frames = _header(path, kind)
    if width < 1 or height < 1:
        raise ImageError("image_damaged")
    if width * height > max_pixels:
        raise ImageError("image_too_many_pixels", width=width, height=height,
                         megapixels=round(width * height / 1e6, 1),
                         limit=round(max_pixels / 1e6, 1))
    if frames > 1 and kind in ("gif", "webp", "png"):
        raise ImageError("image_animated", frames=frames)
    return ImageInfo(kind, width, height)


def _header(path: Path, kind: str) -> tuple[int, int, int]:
    """Width, height and frames, from the header."""
    if kind == "heif":
        import pillow_heif

        try:
            heif = pillow_heif.open_heif(str(path), convert_hdr_to_8bit=False)
            return heif.size[0], heif.size[1], 1  # the primary picture of a burst
        except (ValueError, RuntimeError, OSError):
            raise ImageError("image_damaged") from None
    import pyvips

    try:
        # Lazy: libvips reads the header here and decodes pixels only when asked for them.
        image = pyvips.Image.new_from_file(str(path))
        frames = image.get("n-pages") if image.get_typeof("n-pages") else 1
    except pyvips.Error:
        raise ImageError("image_damaged") from None
    if kind == "png":
        frames = _apng_frames(path)
    return image.width, image.height, int(frames)


def _apng_frames(path: Path) -> int:
    """The frames of an animated PNG (its acTL chunk, before the pixels); 1 for a still one.
    libvips reads an APNG as its default picture and says nothing of the animation."""
    with open(path, "rb") as file:
        file.seek(8)
        while header := file.read(8):
            if len(header) < 8:
                break
            length, name = struct.unpack(">I4s", header)
            if name == b"acTL":
                return int.from_bytes(file.read(4), "big")
            if name in (b"IDAT", b"IEND"):
                break
            file.seek(length + 4, 1)
    return 1
