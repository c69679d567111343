"""Decode a picture once and write what visitors are served: responsive derivatives in
AVIF, WebP and JPEG, a placeholder, the average colour and, for large pictures, Deep Zoom
tiles. Nothing written keeps the upload's metadata (EXIF, GPS, XMP, maker notes, comments,
ICC): the pixels are copied into a fresh image that has none, in sRGB.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

from motpub.imaging.errors import ImageError
from motpub.imaging.probe import ImageInfo, probe

WIDTHS = (320, 640, 960, 1280, 1920, 2560)
FORMATS = ("avif", "webp", "jpeg")
SUFFIXES = {"avif": ".avif", "webp": ".webp", "jpeg": ".jpg"}
CONTENT_TYPES = {".avif": "image/avif", ".webp": "image/webp", ".jpg": "image/jpeg",
                 ".dzi": "application/xml"}
# Deep Zoom, as the zoom viewer reads it: 254 px tiles with 1 px of overlap, JPEG.
TILES_ABOVE_PX = 4000
TILE_SIZE, TILE_OVERLAP = 254, 1
QUALITY = {"avif": 50, "webp": 75, "jpeg": 80}
AVIF_EFFORT = 3  # libaom's cpu-used 6: a tenth of the default's time for a few % in size
PLACEHOLDER_WIDTH = 16
PLACEHOLDER_MAX_BYTES = 400


@dataclass(frozen=True)
class Derivative:
    format: str
    width: int
    height: int
    path: Path  # relative to the output folder
    bytes: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.path.suffix]


@dataclass(frozen=True)
class Processed:
    source: ImageInfo
    width: int  # as shown, after the orientation
    height: int
    derivatives: list[Derivative]
    placeholder: str  # a data: URI
    color: str  # #rrggbb
    tiles: Path | None = None  # the .dzi, relative to the output folder
    files: list[Path] = field(default_factory=list)  # every file written, relative


def derivative_widths(width: int) -> list[int]:
    """The widths to write: the steps below the picture's own width, then its own width
    when it falls short of the next step. Never upscaled."""
    widths = [step for step in WIDTHS if step < width]
    if width <= WIDTHS[-1]:
        widths.append(width)
    return widths


def process(source: Path, out_dir: Path, *, max_pixels: int) -> Processed:
    """Every file visitors may be served of the picture at `source`, under `out_dir`."""
    import pyvips

    info = probe(source, max_pixels=max_pixels)
    # libvips' operation cache would keep the decoded pixels (hundreds of MB) alive after
    # the job; each picture is processed once, so nothing is worth caching.
    pyvips.cache_set_max(0)
    try:
        image = _clean(_decode(source, info))
        out_dir.mkdir(parents=True, exist_ok=True)
        derivatives = [_save(image, out_dir, fmt, width)
                       for fmt in FORMATS for width in derivative_widths(image.width)]
        placeholder, color = _placeholder(image)
        tiles = _tiles(image, out_dir) if max(image.width, image.height) > TILES_ABOVE_PX \
            else None
    except pyvips.Error as error:
        # Decoding is lazy: a truncated or corrupt file fails here, at its first pixels.
        raise ImageError("image_damaged", detail=str(error).strip().splitlines()[-1][:200]
                         ) from None
    files = sorted(path.relative_to(out_dir) for path in out_dir.rglob("*") if path.is_file())
    return Processed(info, image.width, image.height, derivatives, placeholder, color,
                     tiles, files)


def _decode(source: Path, info: ImageInfo):
    import pyvips

    if info.format == "heif":
        return _decode_heif(source)
    # fail_on="error": a truncated or corrupt file raises instead of decoding to grey.
    image = pyvips.Image.new_from_file(str(source), access="random", fail_on="error")
    return image.autorot()  # applies the EXIF orientation, then drops it


def _decode_heif(source: Path):
    """HEIC through pillow-heif's libheif (with its HEVC decoder). libheif applies the
    picture's rotation and mirroring boxes itself."""
    import pillow_heif
    import pyvips

    heif = pillow_heif.open_heif(str(source), convert_hdr_to_8bit=True)
    picture = heif.to_pillow()
    if picture.mode not in ("RGB", "RGBA"):
        picture = picture.convert("RGBA" if "A" in picture.mode else "RGB")
    image = pyvips.Image.new_from_memory(picture.tobytes(), picture.width, picture.height,
                                         len(picture.getbands()), "uchar")
    image = image.copy(interpretation="srgb")
    if profile := heif.info.get("icc_profile"):
        image.set_type(pyvips.GValue.blob_type, "icc-profile-data", profile)
    return image


def _clean(image):
    """8-bit sRGB, alpha flattened on white, in memory, with no metadata at all."""
    import pyvips

    if image.get_typeof("icc-profile-data"):
        try:  # CMYK, 16-bit and wide-gamut pictures through their own profile
            image = image.icc_transform("srgb", embedded=True, intent="perceptual", depth=8)
        except pyvips.Error:
            pass  # a broken profile: read the numbers as they are, below
    if image.interpretation != "srgb" or image.format != "uchar":
        image = image.colourspace("srgb")
    if image.hasalpha():
        image = image.flatten(background=[255, 255, 255])
    if image.bands > 3:
        image = image.extract_band(0, n=3)
    if image.format != "uchar":
        image = image.cast("uchar")
    # The decode, once: a new image of the bare pixels carries none of the file's fields.
    pixels = image.write_to_memory()
    return pyvips.Image.new_from_memory(pixels, image.width, image.height, 3, "uchar"
                                        ).copy(interpretation="srgb")


def _save(image, out_dir: Path, fmt: str, width: int) -> Derivative:
    scaled = image if width == image.width else image.resize(width / image.width,
                                                             kernel="lanczos3")
    path = Path(f"{width}{SUFFIXES[fmt]}")
    target = str(out_dir / path)
    if fmt == "avif":
        scaled.heifsave(target, Q=QUALITY["avif"], compression="av1", effort=AVIF_EFFORT,
                        keep="none")
    elif fmt == "webp":
        scaled.webpsave(target, Q=QUALITY["webp"], effort=4, keep="none")
    else:
        scaled.jpegsave(target, Q=QUALITY["jpeg"], optimize_coding=True, interlace=True,
                        keep="none")
    return Derivative(fmt, scaled.width, scaled.height, path, (out_dir / path).stat().st_size)


def _placeholder(image) -> tuple[str, str]:
    """A WebP of at most 16 x 16 px as a data: URI (a few hundred bytes: 16 px wide, or
    16 px high for a tall picture) and the average colour."""
    tiny = image.thumbnail_image(PLACEHOLDER_WIDTH, height=PLACEHOLDER_WIDTH)
    for quality in (40, 25, 10):
        data = tiny.webpsave_buffer(Q=quality, keep="none")
        if len(data) <= PLACEHOLDER_MAX_BYTES - 32:  # room for the data: URI around it
            break
    uri = "data:image/webp;base64," + base64.b64encode(data).decode()
    small = image.resize(min(1.0, 256 / max(image.width, image.height)))
    red, green, blue = (round(small.extract_band(band).avg()) for band in range(3))
    return uri, f"#{red:02x}{green:02x}{blue:02x}"


def _tiles(image, out_dir: Path) -> Path:
    image.dzsave(str(out_dir / "tiles"), tile_size=TILE_SIZE, overlap=TILE_OVERLAP,
                 suffix=".jpg[Q=80,keep=none]", keep="none")
    # libvips leaves its own notes next to the tiles; they are not ours to serve.
    for extra in (out_dir / "tiles_files").glob("*.xml"):
        extra.unlink()
    return Path("tiles.dzi")
