"""GS1 Digital Link syntax: GTINs with their check digit, the path of a link to a trade item,
and the names of the GS1 Web Vocabulary's link types. Pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from motpub.errors import ServiceError

GTIN_LENGTHS = (8, 12, 13, 14)
# GS1 AI encodable character set 82: the characters AI 10, 21 and 22 may hold.
CHARSET_82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
QUALIFIER_MAX_LENGTH = 20
# Key qualifiers of a GTIN, in the only order the URI syntax allows.
QUALIFIERS = {"22": "consumer product variant", "10": "batch or lot number",
              "21": "serial number"}
OTHER_PRIMARY_KEYS = ("00", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006",
                      "8010", "8013", "8017", "8018")

VOCABULARY = "https://gs1.org/voc/"
_VOCABULARY_FORMS = re.compile(r"^(?:gs1:|https?://(?:www\.|ref\.)?gs1\.org/voc/)([A-Za-z]+)$")
# Link types of the GS1 Web Vocabulary; a request for another name is one we cannot serve.
LINK_TYPES = frozenset({
    "activityIdeas", "allergenInfo", "brandHomepageClinical", "brandHomepagePatient",
    "careersInfo", "certificationInfo", "consumerHandlingStorageInfo", "defaultLink",
    "defaultLinkMulti", "epcis", "epil", "eventsInfo", "faqs", "handledBy", "hasRetailers",
    "homepage", "ingredientsInfo", "instructions", "jws", "leaveReview", "locationInfo",
    "logisticsInfo", "masterData", "menuInfo", "nutritionalInfo", "openingHoursInfo",
    "paymentLink", "pip", "productSustainabilityInfo", "promotion",
    "purchaseSuppliesOrAccessories", "quickStartGuide", "recallStatus", "recipeInfo",
    "registerProduct", "registryEntry", "relatedVideo", "review", "safetyInfo", "scheduleTime",
    "serviceInfo", "smartLabel", "smpc", "socialMedia", "statisticInfo", "support",
    "sustainabilityInfo", "traceability", "tutorial", "userAgreement", "verificationService",
    "whatsInTheBox",
})


class MalformedLink(ServiceError):
    """The request is not a syntactically valid GS1 Digital Link: the resolver answers 400."""

    status = 400
    code = "malformed_digital_link"


def check_digit(digits: str) -> int:
    """The GS1 mod-10 check digit of `digits` (everything but the check digit itself):
    weights 3 and 1 alternate from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def gtin_problem(value: str) -> str | None:
    """Why `value` is not a GTIN, or None when it is one."""
    if not value.isascii() or not value.isdigit():
        return f"a GTIN has only digits, not {value!r}"
    if len(value) not in GTIN_LENGTHS:
        return f"a GTIN has 8, 12, 13 or 14 digits, not {len(value)}"
    expected = check_digit(value[:-1])
    if int(value[-1]) != expected:
        return f"the check digit of GTIN {value} is wrong: it should end in {expected}"
    return None


def normalize_gtin(value: str) -> str:
    """The 14-digit form of a valid GTIN; ValueError with the reason otherwise."""
    value = value.strip()
    if problem := gtin_problem(value):
        raise ValueError(problem)
    return value.zfill(14)


def qualifier_problem(ai: str, value: str) -> str | None:
    name = QUALIFIERS[ai]
    if not value:
        return f"the {name} (AI {ai}) is empty"
    if len(value) > QUALIFIER_MAX_LENGTH:
        return (f"the {name} (AI {ai}) has {len(value)} characters; "
                f"at most {QUALIFIER_MAX_LENGTH} are allowed")
    if bad := sorted(set(value) - CHARSET_82):
        shown = ", ".join(repr(char) for char in bad)
        return f"the {name} (AI {ai}) has characters GS1 does not allow: {shown}"
    return None


@dataclass(frozen=True, slots=True)
class DigitalLink:
    """A GTIN and its optional key qualifiers, as read from a GS1 Digital Link path."""

    gtin: str
    cpv: str | None = None
    lot: str | None = None
    serial: str | None = None

    @property
    def qualifiers(self) -> list[tuple[str, str]]:
        values = {"22": self.cpv, "10": self.lot, "21": self.serial}
        return [(ai, value) for ai, value in values.items() if value is not None]

    @property
    def path(self) -> str:
        """The canonical path: 14-digit GTIN, qualifiers in order, values percent-encoded."""
        parts = ["", "01", self.gtin]
        for ai, value in self.qualifiers:
            parts += [ai, quote(value, safe="")]
        return "/".join(parts)


def parse_digital_link(path: str) -> DigitalLink:
    """Read `/01/<gtin>[/22/<cpv>][/10/<lot>][/21/<serial>]` from a raw (still percent-encoded)
    path. A trailing slash is tolerated. MalformedLink explains anything else."""
    if path.endswith("/") and len(path) > 1:
        path = path[:-1]
    segments = path.split("/")[1:]
    if len(segments) < 2 or segments[0] != "01":
        raise MalformedLink("a GS1 Digital Link path starts with /01/ and a GTIN")
    if len(segments) % 2:
        raise MalformedLink(f"the path segment {unquote(segments[-1])!r} has no value: "
                            "each application identifier must be followed by its value")
    if problem := gtin_problem(unquote(segments[1])):
        raise MalformedLink(problem)
    found: dict[str, str] = {}
    order = list(QUALIFIERS)
    position = 0
    for ai, raw in zip(segments[2::2], segments[3::2], strict=True):
        if ai not in QUALIFIERS:
            raise MalformedLink(
                f"AI {ai!r} is not a key qualifier of a GTIN; only 22, 10 and 21 may follow it "
                "in the path (data attributes go in the query string)")
        if ai in found or order.index(ai) < position:
            raise MalformedLink("key qualifiers must appear once each, in the order "
                                "22 (variant), 10 (batch or lot), 21 (serial)")
        position = order.index(ai)
        # Bytes that are not UTF-8 become U+FFFD, which the character set check refuses.
        value = unquote(raw, errors="replace")
        if problem := qualifier_problem(ai, value):
            raise MalformedLink(problem)
        found[ai] = value
    return DigitalLink(gtin=unquote(segments[1]).zfill(14), cpv=found.get("22"),
                       lot=found.get("10"), serial=found.get("21"))


def link_type_name(value: str) -> str | None:
    """The vocabulary name in `gs1:pip`, `https://gs1.org/voc/pip` or
    `https://ref.gs1.org/voc/pip`, or None when `value` names no GS1 link type."""
    match = _VOCABULARY_FORMS.match(value.strip())
    if match and match.group(1) in LINK_TYPES:
        return match.group(1)
    return None


def digital_link_uri(public_url: str, gtin: str) -> str:
    """What a printed code encodes to open the resolver: the link for the GTIN alone."""
    return f"{public_url.rstrip('/')}{DigitalLink(gtin).path}"
