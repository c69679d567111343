"""Pictures in, derivatives and tiles out: the only module that imports the imaging
libraries (pyvips, and pillow-heif for HEIC, which the libvips of pyvips-binary cannot
decode). Like `avtools` for ffmpeg, it speaks in message ids, never in sentences.

    info = probe(path, max_pixels=...)           # the header only; refuses what we won't decode
    result = process(path, out_dir, max_pixels=...)  # decode once, sRGB, derivatives, tiles
"""

from motpub.imaging.derivatives import (
    CONTENT_TYPES, Derivative, FORMATS, Processed, TILE_OVERLAP, TILE_SIZE, TILES_ABOVE_PX,
    WIDTHS, derivative_widths, process)
from motpub.imaging.errors import ImageError
from motpub.imaging.probe import ImageInfo, probe, sniff

__all__ = ["CONTENT_TYPES", "Derivative", "FORMATS", "ImageError", "ImageInfo", "Processed",
           "TILES_ABOVE_PX", "TILE_OVERLAP", "TILE_SIZE", "WIDTHS", "derivative_widths",
           "probe", "process", "sniff"]
