"""Pictures for ordinary screens: high dynamic range sources tone-mapped to SDR BT.709.

Phones record HLG (or PQ) in BT.2020 by default. Encoded as 8-bit video with no conversion,
such footage looks washed out on the screens and players visitors have (a test picture
keeps 40 % of its colour saturation). zimg (ffmpeg's zscale) linearises it with HDR
reference white (BT.2408: 203 cd/m²) as SDR white, converts the primaries to BT.709, the
Möbius curve keeps everything up to half of white as it is and rolls the highlights off
into SDR range, and the result goes back to BT.709 limited range. Measured on a test
picture taken to HLG and back: saturation 113 -> 96, mean luma 125 -> 115 (Hable: 84).
"""

from __future__ import annotations

from motpub.avtools.probe import MediaInfo

REFERENCE_WHITE = 203  # cd/m²
LINEAR_UP_TO = 0.5  # of SDR white: where the Möbius curve starts to compress
# What an SDR rendition of an HDR source is tagged as, so players do not guess.
SDR_TAGS = {"color_primaries": "bt709", "color_trc": "bt709", "colorspace": "bt709"}


def scaled_for_screens(picture, info: MediaInfo, width: int, height: int):
    """`picture` (an ffmpeg-python stream) at width x height, tone-mapped when it is HDR."""
    if not info.is_hdr:
        return picture.filter("scale", width, height)
    # HDR video is BT.2020 whatever a file's tags say; tagging its frames so spares zimg
    # an untagged input, which it cannot convert.
    return (picture
            .filter("setparams", color_primaries="bt2020", color_trc=info.color_transfer,
                    colorspace="bt2020nc")
            .filter("zscale", w=width, h=height, t="linear", npl=REFERENCE_WHITE)
            .filter("format", "gbrpf32le")
            .filter("zscale", p="bt709")
            .filter("tonemap", tonemap="mobius", param=LINEAR_UP_TO, desat=0)
            .filter("zscale", t="bt709", m="bt709", r="tv")
            .filter("format", "yuv420p"))


def output_tags(info: MediaInfo) -> dict[str, str]:
    """Colour tags for an encoder's output: BT.709 for a tone-mapped source, else none
    (an SDR source's own tags travel with its frames)."""
    return dict(SDR_TAGS) if info.is_hdr else {}
