"""Print options of a code's QR, checked before anything is drawn.

Scanners read dark modules on a light ground; a pale or inverted code fails on many phones,
and fails worse once printed. So colours must be dark on light with a contrast ratio (as
WCAG defines it) of at least 4.5:1: black on white is 21:1, and 4.5:1 leaves a margin for
ink, paper and room light eating into the roughly 3:1 a phone camera needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from motpub.printing.qr import ERROR_CORRECTION, QrStyle
from motpub.errors import Invalid

MIN_MODULE_MM = 0.25
MAX_MODULE_MM = 5.0
MIN_CONTRAST = 4.5
_COLOUR = re.compile(r"^#?([0-9a-fA-F]{6})$")


class Unreadable(Invalid):
    """Colours a scanner cannot read."""

    code = "unreadable_colours"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    value = colour.lstrip("#")
    r, g, b = (_channel(int(value[i:i + 2], 16)) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(fg: str, bg: str) -> float:
    light, dark = sorted((relative_luminance(fg), relative_luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _colour(name: str, raw: str | None, default: str) -> str:
    if raw is None or raw == "":
        return default
    match = _COLOUR.match(raw.strip())
    if not match:
        raise Invalid(f"{name} must be a colour written #rrggbb, got {raw!r}", field=name)
    return "#" + match.group(1).lower()


def check_contrast(fg: str, bg: str) -> None:
    if relative_luminance(fg) >= relative_luminance(bg):
        raise Unreadable(
            f"fg {fg} is not darker than bg {bg}: light-on-dark (inverted) codes are refused, "
            "many scanners only read dark modules on a light background", field="fg")
    ratio = contrast_ratio(fg, bg)
    if ratio < MIN_CONTRAST:
        raise Unreadable(
            f"fg {fg} on bg {bg} has a contrast of {ratio:.1f}:1; scanners need at least "
            f"{MIN_CONTRAST}:1, so darken fg or lighten bg", field="fg")


def parse_print_options(args: Mapping[str, str]) -> QrStyle:
    """QrStyle from query options: ec, module_mm, fg, bg, logo. Absent means the default."""
    level = (args.get("ec") or "M").upper()
    if level not in ERROR_CORRECTION:
        raise Invalid("ec must be one of L, M, Q, H", field="ec")
    module_mm = None
    if raw := args.get("module_mm"):
        try:
            module_mm = float(raw)
        except ValueError:
            raise Invalid(f"module_mm must be a number, got {raw!r}", field="module_mm") \
                from None
        if not MIN_MODULE_MM <= module_mm <= MAX_MODULE_MM:
            raise Invalid(f"module_mm must be between {MIN_MODULE_MM} and {MAX_MODULE_MM}",
                          field="module_mm")
    fg = _colour("fg", args.get("fg"), "#000000")
    bg = _colour("bg", args.get("bg"), "#ffffff")
    check_contrast(fg, bg)
    logo = (args.get("logo") or "0").lower()
    if logo not in ("0", "1", "true", "false"):
        raise Invalid("logo must be 1 or 0", field="logo")
    has_logo = logo in ("1", "true")
    # The mark hides modules; only level H restores enough of them.
    return QrStyle(error_correction="H" if has_logo else level, module_mm=module_mm,
                   fg=fg, bg=bg, has_logo=has_logo)
