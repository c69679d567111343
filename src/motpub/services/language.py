"""Which language a visitor is served: ?lang= beats the cookie, which beats Accept-Language,
which beats the item's default language."""

from __future__ import annotations

from collections.abc import Iterable

from motpub.orm import LANGUAGES
from motpub.analytics.models.scan import LanguageSource


def normalize_language(tag: str | None) -> str | None:
    """Map a BCP 47 tag to a content language, or None.

    Every Chinese tag (zh, zh-CN, zh-Hans, zh-SG, and also zh-TW or zh-Hant) means zh:
    a reader of Traditional Chinese is better served by Simplified text than by English.
    """
    if not tag:
        return None
    primary = tag.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in LANGUAGES else None


def negotiate_language(
    *,
    param: str | None,
    cookie: str | None,
    accept_languages: Iterable[tuple[str, float]],
    default: str,
) -> tuple[str, LanguageSource]:
    if lang := normalize_language(param):
        return lang, LanguageSource.PARAM
    if lang := normalize_language(cookie):
        return lang, LanguageSource.COOKIE
    ranked = sorted(
        ((q, -index, tag) for index, (tag, q) in enumerate(accept_languages) if q > 0),
        reverse=True,
    )
    for _q, _index, tag in ranked:
        if lang := normalize_language(tag):
            return lang, LanguageSource.HEADER
    return default, LanguageSource.DEFAULT
