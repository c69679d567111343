"""Languages as data: the content languages, their names, which one a visitor is served, and
sentences rendered from message ids in any of them.

The list of content languages is the deployment's (Settings.languages, MOTPUB_LANGUAGES),
set once by create_app; the order is the order editors see them in, and the first is the
fallback. Everything that speaks of languages asks here, so adding one is configuration
plus a catalog in translations/<tag>/.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Mapping
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import get_global, parse_locale
from babel.support import NullTranslations, Translations
from langcodes import Language, LanguageTagError, closest_match

DEFAULT_LANGUAGES = ("zh", "en")
# The language message ids are written in: what the interface falls back to.
SOURCE_LANGUAGE = "en"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
# Where a catalog renames a language in its interface (CLDR says 英语, the museum 英文).
NAME_CONTEXT = "language"

# Where a field missing in a language is looked for next, before English and the item's
# default language: traditional Chinese readers read simplified before another language.
# MOTPUB_FALLBACKS adds to or replaces these, language by language.
DEFAULT_FALLBACKS: dict[str, tuple[str, ...]] = {"zh-Hant": ("zh",), "zh": ("en",)}
# Scripts written right to left (ISO 15924), for tags that name their script.
RTL_SCRIPTS = frozenset({"Arab", "Hebr", "Thaa", "Syrc", "Nkoo", "Adlm", "Rohg"})

# One list per process: the models' bind processors, input models and workers run outside
# any request, and a process serves one deployment.
_languages: tuple[str, ...] = DEFAULT_LANGUAGES
_fallbacks: dict[str, tuple[str, ...]] = dict(DEFAULT_FALLBACKS)


def parse_languages(raw: str) -> tuple[str, ...]:
    """Comma-separated BCP 47 tags as a tuple; ValueError naming what is wrong."""
    tags = tuple(tag.strip() for tag in raw.split(",") if tag.strip())
    if not tags:
        raise ValueError("no language given")
    unknown = [tag for tag in tags if not is_known_tag(tag)]
    if unknown:
        raise ValueError(f"not BCP 47 language tags Babel knows: {', '.join(unknown)}")
    if len({tag.lower() for tag in tags}) != len(tags):
        raise ValueError("a language is listed twice")
    return tags


def is_known_tag(tag: str) -> bool:
    try:
        Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError):
        return False
    # The language columns hold 8 characters: zh, en, pt-BR, zh-Hant.
    return tag.isascii() and len(tag) <= 8


def parse_fallbacks(raw: str) -> dict[str, tuple[str, ...]]:
    """`zh-Hant=zh,en; pt-BR=pt` as {"zh-Hant": ("zh", "en"), "pt-BR": ("pt",)}; ValueError
    naming what is wrong."""
    chains: dict[str, tuple[str, ...]] = {}
    for entry in (part.strip() for part in raw.split(";")):
        if not entry:
            continue
        language, is_pair, targets = entry.partition("=")
        language = language.strip()
        chain = tuple(tag.strip() for tag in targets.split(",") if tag.strip())
        if not is_pair or not language or not chain:
            raise ValueError(f"{entry!r} is not LANGUAGE=FALLBACK[,FALLBACK...]")
        unknown = [tag for tag in (language, *chain) if not is_known_tag(tag)]
        if unknown:
            raise ValueError(f"not BCP 47 language tags Babel knows: {', '.join(unknown)}")
        if language in chain:
            raise ValueError(f"{language} falls back to itself")
        chains[language] = chain
    return chains


def configure(languages: Iterable[str],
              fallbacks: Mapping[str, tuple[str, ...]] | None = None) -> None:
    global _languages, _fallbacks
    _languages = tuple(languages)
    _fallbacks = {**DEFAULT_FALLBACKS, **(fallbacks or {})}


def content_languages() -> tuple[str, ...]:
    """The languages content is written in, in the order editors see them."""
    return _languages


def fallback_language() -> str:
    return _languages[0]


def interface_default() -> str:
    """The interface's language for a visitor who states none."""
    return SOURCE_LANGUAGE if SOURCE_LANGUAGE in _languages else _languages[0]


def fallback_chain(language: str, default: str | None = None) -> tuple[str, ...]:
    """The configured languages to look in for a field wanted in `language`, in order: the
    language itself, its configured fallbacks (else its parent tags: pt-BR, then pt),
    English, the item's `default`, then every other content language. A language that is
    not configured any more is never in it: its content stays stored, unseen by visitors."""
    parents = tuple("-".join(language.split("-")[:end])
                    for end in range(language.count("-"), 0, -1))
    steps = (language, *_fallbacks.get(language, parents), SOURCE_LANGUAGE,
             *((default,) if default else ()), *_languages)
    configured = {tag.lower(): tag for tag in _languages}
    return tuple(dict.fromkeys(configured[tag.lower()] for tag in steps
                               if tag.lower() in configured))


def first_present(text: Mapping[str, str], preferred: str | None = None) -> str:
    """`text` in `preferred`, else in the first content language that has it."""
    if preferred and text.get(preferred):
        return text[preferred]
    return next((text[lang] for lang in _languages if text.get(lang)), "")


# --- names --------------------------------------------------------------------------------


@functools.cache
def _locale(tag: str) -> Locale:
    return Locale.parse(tag, sep="-")


def own_name(tag: str) -> str:
    """The language's name in its own script: what a switch offers (中文, English, русский)."""
    return _locale(tag).get_display_name(_locale(tag)) or tag


def babel_locale(tag: str) -> str:
    """The tag as Babel names its locale (zh_Hant, pt_BR): what Flask-Babel parses."""
    try:
        return str(_locale(tag))
    except (ValueError, UnknownLocaleError):
        return SOURCE_LANGUAGE


@functools.cache
def direction(tag: str) -> str:
    """"rtl" for a language written right to left (ar, he, fa, ur, ...), else "ltr"."""
    try:
        locale = _locale(tag)
    except (ValueError, UnknownLocaleError):
        return "ltr"
    if locale.script:
        return "rtl" if locale.script in RTL_SCRIPTS else "ltr"
    return "rtl" if locale.character_order == "right-to-left" else "ltr"


def renamed_in_catalogs() -> tuple[str, ...]:
    """The languages some catalog names otherwise than CLDR (zh says 英文 for English, CLDR
    英语; zh-Hant says 簡體中文 for the zh it falls back to, CLDR 中文); written out so that
    message extraction keeps those entries."""
    source = NullTranslations()
    # NAME_CONTEXT, spelled out for extraction
    return (str(source.pgettext("language", "en")), str(source.pgettext("language", "zh")))


def language_name(tag: str, in_language: str) -> str:
    """The language's name in another language's interface (Title (Chinese), 标题（英文）):
    the catalog's name when it gives one, else CLDR's."""
    named = translations(in_language).pgettext(NAME_CONTEXT, tag)
    if named != tag:
        return str(named)
    try:
        return _locale(tag).get_display_name(_locale(in_language)) or tag
    except (ValueError, UnknownLocaleError):
        return own_name(tag)


# --- negotiation --------------------------------------------------------------------------


class LanguageSource(enum.StrEnum):
    """How the language of a served page was chosen."""

    PARAM = "param"
    COOKIE = "cookie"
    HEADER = "header"
    DEFAULT = "default"


# How far (CLDR's language distance, as langcodes measures it) a visitor's tag may be from
# a configured language and still mean it: en-GB is 5 from en, zh-HK 5 from zh-Hant, pt-BR 0
# from pt; another language is 80 or more.
MATCH_DISTANCE = 25
# Longer tags and headers are no phone's: not worth a cache entry.
_MAX_TAG = 35
_MAX_HEADER = 500


def normalize_language(tag: str | None) -> str | None:
    """Map a BCP 47 tag to a content language, or None.

    The closest configured language by CLDR's matching (zh-TW, zh-HK, zh-MO and zh-Hant mean
    zh-Hant, zh-CN, zh-SG and zh-Hans mean zh, pt-BR means pt, en-GB en); failing that, one
    of the same language in another script (zh-TW means zh when zh-Hant is not configured):
    a reader of Traditional Chinese is better served by Simplified text than by another
    language. A language not configured is None.
    """
    if not tag or len(tag) > _MAX_TAG:
        return None
    return _closest(tag.strip().replace("_", "-"), _languages)


@functools.lru_cache(maxsize=1024)
def _closest(tag: str, languages: tuple[str, ...]) -> str | None:
    try:
        wanted = Language.get(tag)
    except (LanguageTagError, ValueError):
        return None
    if not wanted.language or wanted.language == "und":
        return None
    match, distance = closest_match(tag, languages, max_distance=MATCH_DISTANCE)
    if distance <= MATCH_DISTANCE:
        return match
    primary = wanted.maximize().language
    return next((lang for lang in languages if Language.get(lang).maximize().language == primary),
                None)


def parse_accept_language(header: str) -> list[tuple[str, float]]:
    """An Accept-Language header's tags with their q-values, as sent; a malformed q drops
    its tag."""
    ranges = []
    for part in header.split(","):
        tag, _sep, params = part.partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, is_pair, value = param.strip().partition("=")
            if is_pair and name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = -1.0
        if (tag := tag.strip()) and tag != "*" and 0 < quality <= 1:
            ranges.append((tag, quality))
    return ranges


def _best_of(accept_languages: Iterable[tuple[str, float]]) -> str | None:
    ranked = sorted(
        ((q, -index, tag) for index, (tag, q) in enumerate(accept_languages) if q > 0),
        reverse=True,
    )
    return next((lang for _q, _index, tag in ranked if (lang := normalize_language(tag))), None)


@functools.lru_cache(maxsize=1024)
def _header_language(header: str, languages: tuple[str, ...]) -> str | None:
    # `languages` keys the cache: a process that configures other languages asks again.
    return _best_of(parse_accept_language(header))


def header_language(header: str | None) -> str | None:
    """The content language an Accept-Language header asks for, or None; every phone of a
    kind sends the same few headers, so each is worked out once per process."""
    if not header:
        return None
    return _header_language(header[:_MAX_HEADER], _languages)


def negotiate_language(
    *,
    param: str | None,
    cookie: str | None,
    accept_languages: str | Iterable[tuple[str, float]],
    default: str,
) -> tuple[str, LanguageSource]:
    """Which language a visitor is served, and what decided it: ?lang= beats the cookie,
    which beats Accept-Language (the raw header, or its parsed tags and q-values), which
    beats the item's default language. A tag of a language not configured is passed over."""
    if lang := normalize_language(param):
        return lang, LanguageSource.PARAM
    if lang := normalize_language(cookie):
        return lang, LanguageSource.COOKIE
    if isinstance(accept_languages, str):
        lang = header_language(accept_languages)
    else:
        lang = _best_of(accept_languages)
    if lang:
        return lang, LanguageSource.HEADER
    # An item's default language may have been removed from the configuration since.
    return normalize_language(default) or fallback_language(), LanguageSource.DEFAULT


# --- messages -----------------------------------------------------------------------------


def N_(message_id: str) -> str:  # noqa: N802 (gettext's name, which extraction looks for)
    """Marks a message id for extraction; it is translated when rendered."""
    return message_id


def render_source(message_id: str, args: Mapping[str, object] | None = None) -> str:
    """A message in the language of its id (English): for logs and the ops pages."""
    return message_id % dict(args) if args else message_id


@functools.cache
def translations(language: str) -> NullTranslations:
    """The gettext catalog of a language; without one, the message ids (English) as they are.
    A catalog missing an entry gives that entry's message id, never another catalog's."""
    name = catalog_name(language)
    if name is None:
        return NullTranslations()
    with (TRANSLATIONS_DIR / name / "LC_MESSAGES" / "messages.mo").open("rb") as file:
        return Translations(file)


@functools.cache
def catalog_name(language: str) -> str | None:
    """The catalog in translations/ that speaks for `language`, or None: its own (pt_BR),
    else its script's (zh_Hant for zh-TW and zh-HK), else its language's in the same script
    (pt for pt-BR). Never one in another script: zh-Hant without zh_Hant reads English,
    not simplified Chinese. gettext's own search would take zh for zh_Hant and zh_TW."""
    try:
        locale = _locale(language)
    except (ValueError, UnknownLocaleError):
        candidates = [language.replace("-", "_")]
    else:
        script = _script(locale)
        candidates = [str(locale), *([f"{locale.language}_{script}"] if script else [])]
        if _script(Locale(locale.language)) == script:
            candidates.append(locale.language)
    return next((name for name in candidates
                 if (TRANSLATIONS_DIR / name / "LC_MESSAGES" / "messages.mo").is_file()), None)


def words_language(language: str) -> str:
    """The language the interface's words for `language` are in: itself when a catalog
    speaks for it, else English, the message ids' language (for the lang attribute)."""
    return language if catalog_name(language) else SOURCE_LANGUAGE


def _script(locale: Locale) -> str | None:
    """The locale's script, as written in its tag or else CLDR's likely one (zh-TW: Hant,
    zh and zh-SG: Hans)."""
    if locale.script:
        return locale.script
    likely: Mapping[str, str] = get_global("likely_subtags")
    for key in (f"{locale.language}_{locale.territory}", locale.language):
        if key in likely:
            return parse_locale(likely[key])[2]
    return None


def render(message_id: str, language: str, args: Mapping[str, object] | None = None) -> str:
    """A message in `language`, its %(name)s placeholders filled from `args`."""
    text = translations(language).gettext(message_id)
    return text % dict(args) if args else text


def render_all(message_id: str, args: Mapping[str, object] | None = None) -> dict[str, str]:
    """The message in every content language, keyed by language."""
    return {lang: render(message_id, lang, args) for lang in _languages}


def render_joined(message_id: str, args: Mapping[str, object] | None = None) -> str:
    """One text for a reader whose language is unknown (an API error's message): the message
    id's own words, then each content language's that differ, joined by " / "."""
    texts = [render_source(message_id, args), *render_all(message_id, args).values()]
    return " / ".join(dict.fromkeys(texts))
