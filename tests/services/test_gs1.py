"""GS1 Digital Link syntax and the links the resolver offers, without HTTP."""

from __future__ import annotations

import pytest

from motpub.items.models import Item
from motpub.media.models.video import MediaKind, Video
from motpub.codes.services.gs1 import (
    DigitalLink, MalformedLink, check_digit, digital_link_uri, gtin_problem, link_type_name,
    normalize_gtin, parse_digital_link)
from motpub.codes.services.resolver import (
    forwarded_query, item_links, linkset, matching_links, redirect_target)

GTIN = "09506000134352"


@pytest.mark.parametrize(("value", "normalized"), [
    ("95012346", "00000095012346"),          # GTIN-8
    ("614141000036", "00614141000036"),      # GTIN-12 (UPC-A)
    ("9506000134352", GTIN),                 # GTIN-13
    (GTIN, GTIN),                            # GTIN-14
    ("10614141000033", "10614141000033"),    # GTIN-14 with an indicator digit
    (" 4006381333931 ", "04006381333931"),   # surrounding spaces are forgiven
])
def test_valid_gtins_normalize_to_fourteen_digits(value, normalized):
    assert normalize_gtin(value) == normalized


@pytest.mark.parametrize(("value", "reason"), [
    ("09506000134353", "check digit"),
    ("95012345", "check digit"),
    ("614141000037", "check digit"),
    ("950600013435", "check digit"),  # 12 digits, but a GTIN-13 missing its last digit
    ("950600013", "8, 12, 13 or 14 digits"),
    ("095060001343520", "8, 12, 13 or 14 digits"),
    ("", "only digits"),
    ("09506-00134352", "only digits"),
    ("０９５０６０００１３４３５２", "only digits"),  # full-width digits are not ASCII
])
def test_invalid_gtins_are_refused_with_the_reason(value, reason):
    assert reason in gtin_problem(value)
    with pytest.raises(ValueError, match=reason):
        normalize_gtin(value)


def test_check_digit_is_the_gs1_mod_10():
    assert check_digit("950600013435") == 2
    assert check_digit("9501234") == 6
    assert check_digit("0000000000000") == 0


@pytest.mark.parametrize(("path", "expected"), [
    (f"/01/{GTIN}", DigitalLink(GTIN)),
    (f"/01/{GTIN}/", DigitalLink(GTIN)),
    ("/01/9506000134352", DigitalLink(GTIN)),
    (f"/01/{GTIN}/10/ABC123", DigitalLink(GTIN, lot="ABC123")),
    (f"/01/{GTIN}/21/12345/", DigitalLink(GTIN, serial="12345")),
    (f"/01/{GTIN}/22/V1/10/L%2F7/21/S%20", None),  # a space is not in character set 82
    (f"/01/{GTIN}/22/V-1/10/L%2F7/21/x!%22%25", DigitalLink(GTIN, "V-1", "L/7", 'x!"%')),
    (f"/01/{GTIN}/10/{'A' * 20}", DigitalLink(GTIN, lot="A" * 20)),
])
def test_digital_link_paths_are_read_with_percent_decoding(path, expected):
    if expected is None:
        with pytest.raises(MalformedLink, match="does not allow"):
            parse_digital_link(path)
    else:
        assert parse_digital_link(path) == expected


@pytest.mark.parametrize(("path", "reason"), [
    (f"/01/{GTIN[:-1]}3", "check digit"),
    ("/01/ABC", "only digits"),
    (f"/01/{GTIN}/21/S1/10/L1", "in the order"),
    (f"/01/{GTIN}/10/L1/10/L2", "in the order"),
    (f"/01/{GTIN}/10/L1/22/V1", "in the order"),
    (f"/01/{GTIN}/17/261231", "not a key qualifier"),
    (f"/01/{GTIN}/foo", "has no value"),
    (f"/01/{GTIN}/10/{'A' * 21}", "at most 20"),
    (f"/01/{GTIN}/10/%C3%A9t%C3%A9", "does not allow"),
    (f"/01/{GTIN}/10/%FF", "does not allow"),
    (f"/01/{GTIN}/10//21/S1", "is empty"),
    ("/00/106141411234567897", "starts with /01/"),
])
def test_malformed_paths_are_refused_with_the_reason(path, reason):
    with pytest.raises(MalformedLink, match=reason) as raised:
        parse_digital_link(path)
    assert raised.value.status == 400


def test_canonical_path_percent_encodes_qualifiers():
    link = DigitalLink(GTIN, lot="A/B", serial="1 2")
    assert link.path == f"/01/{GTIN}/10/A%2FB/21/1%202"
    assert digital_link_uri("https://motpub.example/", GTIN) == \
        f"https://motpub.example/01/{GTIN}"


@pytest.mark.parametrize(("value", "name"), [
    ("gs1:pip", "pip"),
    ("https://gs1.org/voc/relatedVideo", "relatedVideo"),
    ("https://ref.gs1.org/voc/instructions", "instructions"),
    ("http://www.gs1.org/voc/certificationInfo", "certificationInfo"),
    ("gs1:nosuchlt", None),
    ("pip", None),
    ("https://example.org/voc/pip", None),
])
def test_link_types_are_recognised_in_every_gs1_form(value, name):
    assert link_type_name(value) == name


def _item(**fields) -> Item:
    fields.setdefault("links", [])
    item = Item(slug="bronze-ding", default_language="zh",
                title={"zh": "青铜鼎", "en": "Bronze ding"}, **fields)
    item.videos = []
    return item


def test_item_links_offer_the_page_in_each_language_and_the_media_that_is_ready():
    item = _item(links=[{"url": "https://example.org/more", "title": {"en": "More"}}])
    item.videos = [Video(kind=MediaKind.VIDEO, master_key="v/master.m3u8"),
                   Video(kind=MediaKind.AUDIO, master_key=None)]  # audio not ready yet
    links = item_links(item, DigitalLink(GTIN, lot="L1"), public_url="https://m.example")
    by_type = {}
    for link in links:
        by_type.setdefault(link.link_type, []).append(link)
    assert [one.href for one in by_type["defaultLink"]] == [
        "https://m.example/i/bronze-ding?lang=zh&10=L1"]
    assert [one.hreflang for one in by_type["pip"]] == [("zh",), ("en",), ("en",)]
    assert by_type["pip"][2].href == "https://example.org/more"
    assert by_type["relatedVideo"][1].href == \
        "https://m.example/i/bronze-ding?lang=en&10=L1#player"
    assert by_type["relatedVideo"][1].title == "Video: Bronze ding"
    assert "instructions" not in by_type
    assert all(one.title and one.hreflang and one.media_type == "text/html" for one in links)


def test_matching_links_are_those_in_the_language_else_the_first_of_the_type():
    item = _item(links=[{"url": "https://example.org/more", "title": {"en": "More"}}])
    links = item_links(item, DigitalLink(GTIN), public_url="https://m.example")
    # The page and the editor's English link are both gs1:pip in English: no single best.
    assert [one.href for one in matching_links(links, "pip", "en")] == [
        "https://m.example/i/bronze-ding?lang=en", "https://example.org/more"]
    assert [one.hreflang for one in matching_links(links, "pip", "zh")] == [("zh",)]
    assert [one.hreflang for one in matching_links(links, "pip", "fr")] == [("zh",)]
    assert len(matching_links(links, "defaultLink", "en")) == 1
    assert len(matching_links(links, "defaultLinkMulti", "en")) == 1
    assert matching_links(links, "relatedVideo", "en") == []


def test_linkset_groups_links_under_vocabulary_uris():
    links = item_links(_item(), DigitalLink(GTIN), public_url="https://m.example")
    body = linkset(links, anchor=f"https://m.example/01/{GTIN}", description="青铜鼎")
    (context,) = body["linkset"]
    assert context["anchor"] == f"https://m.example/01/{GTIN}"
    assert len(context["https://gs1.org/voc/defaultLink"]) == 1
    assert {one["hreflang"][0] for one in context["https://gs1.org/voc/pip"]} == {"zh", "en"}


def test_query_is_passed_on_as_sent_without_the_resolver_parameters():
    raw = "linkType=gs1:pip&foo=bar&17=261231&lang=en&mediaType=text/html&x=a%20b"
    assert forwarded_query(raw) == "foo=bar&17=261231&x=a%20b"
    assert redirect_target("https://m.example/i/a?lang=zh#player", "foo=bar") == \
        "https://m.example/i/a?lang=zh&foo=bar#player"
    assert redirect_target("https://example.org/more", "foo=bar") == \
        "https://example.org/more?foo=bar"
    assert redirect_target("https://example.org/more", "") == "https://example.org/more"
