from __future__ import annotations

import pytest

from motpub.errors import Invalid
from motpub.codes.services.print_options import Unreadable, contrast_ratio, parse_print_options


def test_no_options_keep_the_defaults():
    style = parse_print_options({})
    assert (style.error_correction, style.module_mm, style.fg, style.bg, style.has_logo) == \
        ("M", None, "#000000", "#ffffff", False)


def test_contrast_ratio_follows_wcag():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize(("fg", "bg"), [
    ("#ffffff", "#000000"),  # inverted
    ("#ffff00", "#0000ff"),  # light on dark, high contrast still refused
    ("#777777", "#ffffff"),  # just under 4.5:1
    ("#0b5cad", "#0b5cad"),
])
def test_unreadable_colours_are_refused_with_the_reason(fg, bg):
    with pytest.raises(Unreadable) as raised:
        parse_print_options({"fg": fg, "bg": bg})
    assert "fg" in raised.value.message and raised.value.field == "fg"
    assert raised.value.code == "unreadable_colours"


def test_logo_forces_level_h():
    style = parse_print_options({"logo": "1", "ec": "L"})
    assert style.has_logo and style.error_correction == "H"


@pytest.mark.parametrize("args", [
    {"module_mm": "0.1"}, {"module_mm": "6"}, {"module_mm": "big"}, {"ec": "X"},
    {"fg": "black"}, {"bg": "#fff"}, {"logo": "yes"},
])
def test_malformed_options_are_invalid(args):
    with pytest.raises(Invalid):
        parse_print_options(args)


def test_colours_are_normalised_with_or_without_hash():
    style = parse_print_options({"fg": "0B5CAD", "bg": "#FFFBE6", "module_mm": "0.25"})
    assert (style.fg, style.bg, style.module_mm) == ("#0b5cad", "#fffbe6", 0.25)
