"""Print options of a code's QR, checked before anything is drawn.

Scanners read dark modules on a light ground; a pale or inverted code fails on many phones,
and fails worse once printed. So colours must be dark on light with a contrast ratio (as
WCAG defines it) of at least 4.5:1: black on white is 21:1, and 4.5:1 leaves a margin for
ink, paper and room light eating into the roughly 3:1 a phone camera needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from motpub.printing.qr import ERROR_CORRECTION, QrStyle
from motpub.errors import Invalid
from motpub.inputs import parse_query, QueryInput, refusal

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


class PrintOptions(QueryInput):
    """How a QR is drawn; an absent or empty option takes its default."""

    blank_is_absent = frozenset({"ec", "module_mm", "fg", "bg", "logo"})
    ec: str = Field(default="M", description="error correction level; letter case is ignored",
                    json_schema_extra={"enum": list(ERROR_CORRECTION)})
    module_mm: float | None = Field(
        default=None, ge=MIN_MODULE_MM, le=MAX_MODULE_MM, allow_inf_nan=False,
        description="module size in mm (PDF, SVG; PNG at 300 dpi)")
    fg: str = Field(default="#000000", json_schema_extra={"pattern": "^#?[0-9a-fA-F]{6}$"},
                    description="dark colour, #rrggbb")
    bg: str = Field(default="#ffffff", json_schema_extra={"pattern": "^#?[0-9a-fA-F]{6}$"},
                    description=f"light colour, #rrggbb; fg must be darker with a contrast of "
                                f"at least {MIN_CONTRAST}:1, else 422 unreadable_colours")
    logo: str = Field(default="0", description="1: the motpub mark in the centre (forces "
                                               "error correction H)",
                      json_schema_extra={"enum": ["0", "1"]})

    @field_validator("ec")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in ERROR_CORRECTION:
            raise refusal("ec must be one of " + ", ".join(ERROR_CORRECTION))
        return value.upper()

    @field_validator("fg", "bg")
    @classmethod
    def _colour(cls, value: str, info: ValidationInfo) -> str:
        match = _COLOUR.match(value.strip())
        if not match:
            raise refusal(f"{info.field_name} must be a colour written #rrggbb, got {value!r}")
        return "#" + match.group(1).lower()

    @field_validator("logo")
    @classmethod
    def _zero_or_one(cls, value: str) -> str:
        if value.lower() not in ("0", "1", "true", "false"):
            raise refusal("logo must be 1 or 0")
        return value.lower()

    def style(self) -> QrStyle:
        """The style to draw, once the colours are known to scan."""
        check_contrast(self.fg, self.bg)
        has_logo = self.logo in ("1", "true")
        # The mark hides modules; only level H restores enough of them.
        return QrStyle(error_correction="H" if has_logo else self.ec,
                       module_mm=self.module_mm, fg=self.fg, bg=self.bg, has_logo=has_logo)


class QrQuery(PrintOptions):
    """A code's QR download: how it is drawn, and what it encodes."""

    content: Literal["url", "gs1"] = Field(
        default="url", description="url: the short URL; gs1: the item's GS1 Digital Link URI "
                                   "(400 when the item has no GTIN)")


def parse_print_options(args: Mapping[str, str]) -> QrStyle:
    """QrStyle from query options: ec, module_mm, fg, bg, logo. Absent means the default."""
    return parse_query(PrintOptions, args).style()
