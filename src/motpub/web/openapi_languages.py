"""Schemas that name the content languages. The cached document holds markers; each response
fills them with this deployment's languages (fill_languages)."""

from __future__ import annotations

from motpub.i18n import content_languages

_MARK = "x-content-languages"
LANGUAGE = {"type": "string", _MARK: "enum"}
LANGUAGE_OR_NULL = {"type": ["string", "null"], _MARK: "enum-or-null"}
# A text in several languages, as the API takes and gives it: {"zh": ..., "en": ...}.
LOCALIZED = {"type": "object", _MARK: "properties", "additionalProperties": False}
BY_LANGUAGE = {"type": "object", _MARK: "properties"}


def fill_languages(node: object) -> object:
    """`node` with every marker replaced by the content languages."""
    if isinstance(node, list):
        return [fill_languages(value) for value in node]
    if not isinstance(node, dict):
        return node
    filled = {key: fill_languages(value) for key, value in node.items() if key != _MARK}
    languages = list(content_languages())
    match node.get(_MARK):
        case "enum":
            filled["enum"] = languages
        case "enum-or-null":
            filled["enum"] = [*languages, None]
        case "properties":
            filled["properties"] = {lang: {"type": "string"} for lang in languages}
    return filled
