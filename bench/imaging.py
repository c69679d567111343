#!/usr/bin/env python3
"""Pillow against pyvips (libvips) on the work a picture needs: wall time and peak memory.

Makes two inputs in a temp folder: a 24 MP phone-like JPEG (6000 x 4000, EXIF orientation
and a GPS position) and a 100 MP 16-bit TIFF (12240 x 8160, a museum master). For each
library and input, a fresh child process decodes the file, applies the orientation,
converts to 8-bit sRGB, writes every derivative (widths 320 to 2560, never upscaled, as
AVIF, WebP and JPEG, without metadata) and a Deep Zoom tile pyramid (254 px tiles, 1 px
overlap, JPEG). The parent reads the child's peak resident set from wait4(). Rounds
alternate the libraries, so both see the same machine; medians and ratios are printed.

    .venv/bin/python bench/imaging.py --rounds 3

pyvips needs libvips: the pyvips-binary wheel carries one (pip install pyvips pyvips-binary).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WIDTHS = (320, 640, 960, 1280, 1920, 2560)
TILE, OVERLAP = 254, 1
QUALITY = {"avif": 50, "webp": 75, "jpeg": 80}
AVIF_SPEED = 6  # libaom's cpu-used; pyvips says effort = 9 - speed


# --- the two implementations, each run in its own process ---------------------------------


def pillow_run(source: Path, out: Path) -> dict[str, int]:
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = 200_000_000
    with Image.open(source) as opened:
        image = ImageOps.exif_transpose(opened)
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGB")
        image.load()
    files = 0
    for width in (w for w in WIDTHS if w <= image.width):
        height = round(image.height * width / image.width)
        scaled = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        scaled.save(out / f"{width}.avif", quality=QUALITY["avif"], speed=AVIF_SPEED)
        scaled.save(out / f"{width}.webp", quality=QUALITY["webp"], method=4)
        scaled.save(out / f"{width}.jpg", quality=QUALITY["jpeg"], optimize=True,
                    progressive=True)
        files += 3
    # Deep Zoom: the full image at the top level, halved down to 1 x 1.
    levels = math.ceil(math.log2(max(image.size))) + 1
    level_image = image
    for level in range(levels - 1, -1, -1):
        folder = out / "tiles" / str(level)
        folder.mkdir(parents=True)
        width, height = level_image.size
        for column in range(math.ceil(width / TILE)):
            for row in range(math.ceil(height / TILE)):
                left, top = column * TILE - (OVERLAP if column else 0), \
                    row * TILE - (OVERLAP if row else 0)
                right = min(width, (column + 1) * TILE + OVERLAP)
                bottom = min(height, (row + 1) * TILE + OVERLAP)
                level_image.crop((left, top, right, bottom)).save(
                    folder / f"{column}_{row}.jpg", quality=QUALITY["jpeg"])
                files += 1
        level_image = level_image.resize(
            (max(1, math.ceil(width / 2)), max(1, math.ceil(height / 2))),
            Image.Resampling.BOX)
    return {"files": files}


def vips_run(source: Path, out: Path) -> dict[str, int]:
    import pyvips

    image = pyvips.Image.new_from_file(str(source))
    if image.width * image.height > 200_000_000:
        raise ValueError("over the pixel limit")
    image = image.autorot()
    # To 8-bit sRGB through the embedded profile, if any.
    if image.interpretation in ("rgb16", "grey16", "cmyk") or image.format != "uchar":
        image = image.colourspace("srgb")
    if image.hasalpha():
        image = image.flatten(background=255)
    image = image.copy_memory()  # decoded once; every derivative reads the pixels
    files = 0
    for width in (w for w in WIDTHS if w <= image.width):
        scaled = image.resize(width / image.width, kernel="lanczos3")
        scaled.heifsave(str(out / f"{width}.avif"), Q=QUALITY["avif"], compression="av1",
                        effort=9 - AVIF_SPEED, keep="none")
        scaled.webpsave(str(out / f"{width}.webp"), Q=QUALITY["webp"], effort=4, keep="none")
        scaled.jpegsave(str(out / f"{width}.jpg"), Q=QUALITY["jpeg"], optimize_coding=True,
                        interlace=True, keep="none")
        files += 3
    image.dzsave(str(out / "tiles"), tile_size=TILE, overlap=OVERLAP, suffix=".jpg[Q=80]",
                 keep="none")
    files += sum(1 for _ in (out / "tiles_files").rglob("*.jpg"))
    return {"files": files}


# --- inputs ---------------------------------------------------------------------------------


def make_inputs(folder: Path) -> dict[str, Path]:
    """A 24 MP JPEG with an EXIF orientation and GPS position, and a 100 MP 16-bit TIFF."""
    import pyvips

    def scene(width: int, height: int, depth: str) -> pyvips.Image:
        # Gradients and noise: detail an encoder has to work for, like a photo.
        xyz = pyvips.Image.xyz(width, height)
        x, y = xyz[0], xyz[1]
        red = (x * 255 / width)
        green = (y * 255 / height)
        blue = ((x + y) * 128 / (width + height)) + pyvips.Image.gaussnoise(width, height,
                                                                           sigma=24)
        image = red.bandjoin([green, blue]).copy(interpretation="srgb")
        if depth == "16":
            return (image * 257).cast("ushort").copy(interpretation="rgb16")
        return image.cast("uchar")

    photo = folder / "photo-24mp.jpg"
    image = scene(6000, 4000, "8")
    image = image.copy()
    image.set_type(pyvips.GValue.gint_type, "orientation", 6)
    image.set_type(pyvips.GValue.gstr_type, "exif-ifd3-GPSLatitude", "39/1 54/1 2400/100")
    image.jpegsave(str(photo), Q=90)
    master = folder / "master-100mp.tif"
    scene(12240, 8160, "16").tiffsave(str(master), compression="deflate", tile=True,
                                      tile_width=512, tile_height=512, bigtiff=True)
    return {"24 MP JPEG": photo, "100 MP 16-bit TIFF": master}


# --- the harness ----------------------------------------------------------------------------


def child(library: str, source: str, out: str) -> None:
    run = {"pillow": pillow_run, "pyvips": vips_run}[library]
    started = time.perf_counter()
    result = run(Path(source), Path(out))
    result["wall_ms"] = round((time.perf_counter() - started) * 1000)
    print(json.dumps(result))


def measure(library: str, source: Path, scratch: Path) -> dict[str, float]:
    out = Path(tempfile.mkdtemp(dir=scratch))
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", library, str(source), str(out)],
        stdout=subprocess.PIPE, text=True)
    stdout = process.stdout.read() if process.stdout else ""
    _pid, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{library} failed on {source.name}")
    result = json.loads(stdout.strip().splitlines()[-1])
    subprocess.run(["rm", "-rf", str(out)], check=True)
    return {"wall_s": result["wall_ms"] / 1000, "peak_rss_mb": usage.ru_maxrss / 1024,
            "files": result["files"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("LIBRARY", "SOURCE", "OUT"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="motpub-imaging-") as scratch:
        folder = Path(scratch)
        inputs = make_inputs(folder)
        results: dict[tuple[str, str], list[dict[str, float]]] = {}
        for round_number in range(args.rounds):
            order = ("pillow", "pyvips") if round_number % 2 == 0 else ("pyvips", "pillow")
            for name, source in inputs.items():
                for library in order:
                    figures = measure(library, source, folder)
                    results.setdefault((name, library), []).append(figures)
                    print(f"round {round_number + 1} {name:20} {library:7} "
                          f"{figures['wall_s']:7.2f} s {figures['peak_rss_mb']:8.0f} MB "
                          f"{figures['files']:5.0f} files", file=sys.stderr)
        print(f"\n| input | library | wall time (median of {args.rounds}) | peak RSS (median) "
              "| files |")
        print("|---|---|---|---|---|")
        for name in inputs:
            medians = {}
            for library in ("pillow", "pyvips"):
                runs = results[(name, library)]
                medians[library] = (statistics.median(r["wall_s"] for r in runs),
                                    statistics.median(r["peak_rss_mb"] for r in runs))
                print(f"| {name} | {library} | {medians[library][0]:.2f} s | "
                      f"{medians[library][1]:.0f} MB | {runs[0]['files']:.0f} |")
            wall = medians["pillow"][0] / medians["pyvips"][0]
            rss = medians["pillow"][1] / medians["pyvips"][1]
            print(f"| {name} | Pillow ÷ pyvips | {wall:.2f}× | {rss:.2f}× | |")


if __name__ == "__main__":
    main()
