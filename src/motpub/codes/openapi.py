"""The GS1 resolver's part of the OpenAPI document. Its routes live at the site root, not under
/api/v1, so each path names its own server."""

from __future__ import annotations

from itertools import combinations

from motpub.codes.services.gs1 import QUALIFIER_MAX_LENGTH, QUALIFIERS
from motpub.web.openapi_languages import LANGUAGE

ROOT_SERVER = [{"url": "/"}]

_PARAMETER_NAMES = {"22": "cpv", "10": "lot", "21": "serial"}

_LINK = {"type": "object", "required": ["href", "title"], "properties": {
    "href": {"type": "string", "format": "uri"}, "title": {"type": "string"},
    "type": {"type": "string"}, "hreflang": {"type": "array", "items": LANGUAGE}}}

LINKSET = {
    "type": "object", "required": ["linkset"],
    "description": "RFC 9264 linkset; each key other than anchor and itemDescription is a "
                   "GS1 link type URI such as https://gs1.org/voc/pip",
    "properties": {"linkset": {"type": "array", "items": {
        "type": "object", "required": ["anchor"],
        "properties": {"anchor": {"type": "string", "format": "uri"},
                       "itemDescription": {"type": "string"}},
        "additionalProperties": {"type": "array", "items": _LINK}}}},
}

_QUERY = [
    {"name": "linkType", "in": "query", "schema": {"type": "string"},
     "description": "a GS1 link type (gs1:pip, https://gs1.org/voc/relatedVideo ...), or "
                    "linkset (also the deprecated all) for the linkset; unknown types answer 404"},
    {"name": "lang", "in": "query", "schema": LANGUAGE,
     "description": "language of the link, before Accept-Language"},
]

_HEADER = {"schema": {"type": "string"}}
_LINK_HEADER = {"schema": {"type": "string"},
                "description": '<…?linkType=linkset>; rel="linkset"; '
                               'type="application/linkset+json"'}

_ERROR = {"description": "an error", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}
# A path the router cannot read as a Digital Link at all (a control character in a segment,
# which no route matches) is answered by the site's bilingual not-found page, as for a
# visitor's browser; a well-formed link with no published item is answered in JSON.
_NOT_FOUND = {"description": "no published item has the GTIN (JSON), or the path is no "
                             "Digital Link at all (the bilingual HTML page)",
              "content": {**_ERROR["content"], "text/html": {"schema": {"type": "string"}}}}


def _resolver_operations(path_parameters: list[dict]) -> dict:
    linkset_content = {media: {"schema": LINKSET} for media in (
        "application/linkset+json", "application/json", "application/ld+json")}
    return {
        "servers": ROOT_SERVER,
        "get": {
            "summary": "Resolve a GS1 Digital Link: redirect to a link of the item, or its "
                       "linkset (linkType=linkset or Accept: application/linkset+json)",
            "security": [],
            "parameters": [*path_parameters, *_QUERY],
            "responses": {
                "307": {"description": "to the chosen link; other query parameters are passed "
                                       "on; Link header points to the linkset",
                        "headers": {"Location": _HEADER, "Link": _LINK_HEADER}},
                "300": {"description": "Multiple Choices: the requested linkType has more than "
                                       "one link in the visitor's language (the item's page "
                                       "and an editor's link are both gs1:pip) and the "
                                       "resolver cannot tell which is best. The choices, each "
                                       "with the query string passed on, as their linkset "
                                       "for clients accepting JSON, else as a short HTML page "
                                       "of links. Never without linkType: that redirects.",
                        "headers": {"Link": _LINK_HEADER},
                        "content": {**linkset_content, "text/html": {
                            "schema": {"type": "string"}}}},
                "200": {"description": "the linkset", "content": linkset_content,
                        "headers": {"Link": _LINK_HEADER}},
                "400": _ERROR, "404": _NOT_FOUND},
        },
        "options": {"summary": "CORS preflight", "security": [],
                    "parameters": path_parameters,
                    "responses": {"204": {
                        "description": "allowed methods and headers; the Link to the "
                                       "linkset when the link is well formed and leads to a "
                                       "published item",
                        "headers": {"Link": _LINK_HEADER}},
                        "404": _NOT_FOUND}},
    }


# What the resolver accepts (anything else is a 400 with the reason): a GTIN of 8, 12, 13 or
# 14 digits, and qualifiers of 1 to 20 characters of GS1's set 82.
_GTIN_SCHEMA = {"type": "string", "pattern": "^(?:[0-9]{8}|[0-9]{12,14})$"}
_QUALIFIER_SCHEMA = {"type": "string", "minLength": 1, "maxLength": QUALIFIER_MAX_LENGTH,
                     "pattern": "^[!\"%&'()*+,\\-./0-9:;<=>?A-Z_a-z]+$"}


def _parameter(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "path", "required": True,
            "schema": schema or {"type": "string"}, "description": description}


def paths() -> dict:
    gtin = _parameter("gtin", "GTIN-8, -12, -13 or -14 with its check digit", _GTIN_SCHEMA)
    documented: dict = {}
    for size in range(len(QUALIFIERS) + 1):
        for chosen in combinations(QUALIFIERS, size):
            path = "/01/{gtin}" + "".join(f"/{ai}/{{{_PARAMETER_NAMES[ai]}}}" for ai in chosen)
            parameters = [gtin, *(_parameter(_PARAMETER_NAMES[ai], QUALIFIERS[ai],
                                             _QUALIFIER_SCHEMA) for ai in chosen)]
            documented[path] = _resolver_operations(parameters)
    documented["/.well-known/gs1resolver"] = {
        "servers": ROOT_SERVER,
        "get": {"summary": "The GS1 resolver description file", "security": [],
                "responses": {"200": {"description": "resolver description", "content": {
                    "application/json": {"schema": {"type": "object"}}}}}},
        "options": {"summary": "CORS preflight", "security": [],
                    "responses": {"204": {"description": "allowed methods and headers"}}},
    }
    return documented
