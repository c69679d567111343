"""Translation status: what each translation was based on, and whether its source text has
changed since. Editors' texts are only read here, never written."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from motpub.coverage.models import Subject, TranslationBasis
from motpub.errors import Invalid
from motpub.exhibitions.models import Exhibition
from motpub.i18n import content_languages
from motpub.inputs import Input, Language
from motpub.items.models import Item
from motpub.orm import utcnow

# Texts by field, then by language: {"title": {"zh": ..., "en": ...}}.
Texts = dict[str, dict[str, str]]
Translated = Item | Exhibition

ITEM_FIELDS = ("title", "summary", "body", "links")
EXHIBITION_FIELDS = ("title", "intro")


class Status(enum.StrEnum):
    CURRENT = "current"
    STALE = "stale"
    MISSING = "missing"


class ConfirmInput(Input):
    """A translation an editor has checked against its source text as it is now."""

    field: Literal["title", "summary", "body", "links", "intro"] = Field(
        description="title, summary, body or links of an item; title or intro of an "
                    "exhibition")
    language: Language


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def subject_of(thing: Translated) -> Subject:
    return Subject.ITEM if isinstance(thing, Item) else Subject.EXHIBITION


def fields_of(thing: Translated) -> tuple[str, ...]:
    return ITEM_FIELDS if isinstance(thing, Item) else EXHIBITION_FIELDS


def link_titles(links: list[dict[str, Any]]) -> dict[str, str]:
    """The links' titles as one text per language, one title a line; a language counts only
    when every link has a title in it."""
    if not links:
        return {}
    languages = {lang for link in links for lang in link.get("title", {})}
    return {lang: "\n".join(link["title"][lang] for link in links) for lang in languages
            if all(link.get("title", {}).get(lang) for link in links)}


def texts_of(thing: Translated) -> Texts:
    """Every text of `thing` by field and language, those of languages no longer
    configured included."""
    if isinstance(thing, Item):
        return {"title": dict(thing.title), "summary": dict(thing.summary),
                "body": dict(thing.body), "links": link_titles(thing.links)}
    return {"title": dict(thing.title), "intro": dict(thing.intro)}


def source_language_of(thing: Translated) -> str:
    """The language `thing` is written in first: an item's default language; for an
    exhibition, the first content language its title is in."""
    if isinstance(thing, Item):
        return thing.default_language
    return next((lang for lang in content_languages() if thing.title.get(lang)),
                content_languages()[0])


def _bases(session: Session, subject: Subject,
           ids: Iterable[int]) -> dict[int, dict[tuple[str, str], TranslationBasis]]:
    found: dict[int, dict[tuple[str, str], TranslationBasis]] = {}
    wanted = list(ids)
    if not wanted:
        return found
    rows = session.scalars(select(TranslationBasis).where(
        TranslationBasis.subject == subject, TranslationBasis.subject_id.in_(wanted)))
    for basis in rows:
        found.setdefault(basis.subject_id, {})[(basis.field, basis.language)] = basis
    return found


def bases_of(session: Session,
             things: Iterable[Translated]) -> dict[tuple[Subject, int],
                                                   dict[tuple[str, str], TranslationBasis]]:
    """The recorded bases of several items and exhibitions, in one query per kind."""
    by_subject: dict[Subject, list[int]] = {}
    for thing in things:
        by_subject.setdefault(subject_of(thing), []).append(thing.id)
    return {(subject, thing_id): bases
            for subject, ids in by_subject.items()
            for thing_id, bases in _bases(session, subject, ids).items()}


def record_translations(session: Session, thing: Translated, before: Mapping[str, Mapping[str,
                        str]], *, source_language: str | None = None) -> None:
    """After a save: every translation whose text changed is now based on its source text
    as it is; a translation that was removed forgets its basis.

    The source is `source_language` (the one the editor had beside the form) when it has
    text in that field, else the default source of `thing`. A field with no source text
    records nothing: its translations were not made from anything.
    """
    after = texts_of(thing)
    subject = subject_of(thing)
    known = _bases(session, subject, [thing.id]).get(thing.id, {})
    default = source_language_of(thing)
    for field in fields_of(thing):
        texts, earlier = after[field], before.get(field, {})
        source = next((lang for lang in (source_language, default)
                       if lang and texts.get(lang)), None)
        for lang in content_languages():
            text, was = texts.get(lang, ""), earlier.get(lang, "")
            basis = known.get((field, lang))
            if not text and basis is not None:
                session.delete(basis)
            elif text and text != was and source and source != lang:
                _keep_basis(session, thing, field, lang, source, texts[source], basis)
            elif (text and text == was and basis is None and lang != default
                  and earlier.get(default) and earlier[default] != texts.get(default)):
                # A translation from before bases were kept, left as it was while its source
                # changed: it was made from the source as it was, so it is stale now.
                _keep_basis(session, thing, field, lang, default, earlier[default], None)
    session.flush()


def _keep_basis(session: Session, thing: Translated, field: str, language: str, source: str,
                source_text: str, basis: TranslationBasis | None) -> None:
    if basis is None:
        basis = TranslationBasis(subject=subject_of(thing), subject_id=thing.id, field=field,
                                 language=language)
        session.add(basis)
    basis.source_language = source
    basis.source_hash = fingerprint(source_text)
    basis.recorded_at = utcnow()


def status_of(texts: Texts, bases: Mapping[tuple[str, str], TranslationBasis], field: str,
              language: str) -> Status:
    text = texts.get(field, {}).get(language)
    if not text:
        return Status.MISSING
    basis = bases.get((field, language))
    if basis is None:
        # Written before translations were tracked, or the source itself: nothing to check.
        return Status.CURRENT
    source_text = texts.get(field, {}).get(basis.source_language, "")
    return Status.CURRENT if fingerprint(source_text) == basis.source_hash else Status.STALE


def translation_status(thing: Translated,
                       bases: Mapping[tuple[str, str], TranslationBasis]) -> dict[str, dict[
                           str, str]]:
    """{field: {language: "current" | "stale" | "missing"}} over the content languages. An
    item's links are listed only when it has links."""
    texts = texts_of(thing)
    return {field: {lang: status_of(texts, bases, field, lang).value
                    for lang in content_languages()}
            for field in fields_of(thing)
            if not (field == "links" and isinstance(thing, Item) and not thing.links)}


def status_for(session: Session, thing: Translated) -> dict[str, dict[str, str]]:
    """The translation status of one item or exhibition."""
    return translation_status(thing, _bases(session, subject_of(thing), [thing.id]).get(
        thing.id, {}))


def confirm_translation(session: Session, thing: Translated, data: ConfirmInput) -> None:
    """An editor says the translation still says what its source says: it is based on the
    source text as it is now. Its text is not touched."""
    if data.field not in fields_of(thing):
        raise Invalid(f"{data.field!r} is not a field of this {subject_of(thing).value}; use "
                      f"{', '.join(fields_of(thing))}", field="field")
    texts = texts_of(thing)[data.field]
    if not texts.get(data.language):
        raise Invalid(f"there is no {data.field} in {data.language} to confirm",
                      field="language")
    known = _bases(session, subject_of(thing), [thing.id]).get(thing.id, {})
    basis = known.get((data.field, data.language))
    candidates = (basis.source_language if basis else None, source_language_of(thing),
                  *content_languages())
    source = next((lang for lang in candidates
                   if lang and lang != data.language and texts.get(lang)), None)
    if source is None:
        raise Invalid(f"{data.field} has no text in another language to be a translation of",
                      field="language")
    _keep_basis(session, thing, data.field, data.language, source, texts[source], basis)
    session.flush()


def forget_translations(session: Session, thing: Translated) -> None:
    """The bases of an item or exhibition that is being deleted."""
    session.execute(delete(TranslationBasis).where(
        TranslationBasis.subject == subject_of(thing), TranslationBasis.subject_id == thing.id))


@dataclass(frozen=True)
class OrphanedText:
    """A text kept in a language that is no longer configured: shown to editors, read only."""

    language: str
    field: str
    text: str


def orphaned_texts(thing: Translated) -> list[OrphanedText]:
    configured = set(content_languages())
    found = [OrphanedText(lang, field, text)
             for field, texts in texts_of(thing).items() if field != "links"
             for lang, text in texts.items() if lang not in configured and text]
    if isinstance(thing, Item):
        found += [OrphanedText(lang, "links", f"{link['url']} | {title}")
                  for link in thing.links for lang, title in link.get("title", {}).items()
                  if lang not in configured and title]
    return sorted(found, key=lambda orphan: orphan.language)


def orphaned_languages(thing: Translated) -> list[str]:
    return sorted({orphan.language for orphan in orphaned_texts(thing)})
