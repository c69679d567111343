"""Label sheets of an exhibition: its entrance code, then every code of its items in order,
each titled in the languages the editor picked for the sheet."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import Field, field_validator

from motpub.exhibitions.models import Exhibition
from motpub.printing.labels import FontMissing, Label, label_sheet, TEMPLATES, Typefaces
from motpub.codes.services.codes import code_url
from motpub.errors import Invalid, ServiceError
from motpub.i18n import content_languages
from motpub.inputs import QueryInput, refusal

# A sheet's titles by default: the first two content languages (zh and en, unless the
# deployment lists others first); a label has room for two at a readable size.
DEFAULT_SHEET_LANGUAGES = 2


class LabelFontMissing(ServiceError):
    status = 503
    code = "font_missing"


def default_sheet_languages() -> tuple[str, ...]:
    return content_languages()[:DEFAULT_SHEET_LANGUAGES]


def sheet_languages(raw: str | Sequence[str] | None) -> tuple[str, ...]:
    """The languages of a sheet, from `zh,ar` (or a list of such), spelled as configured and
    in the order given; none means the default. Invalid (422) naming the configured
    languages for any other tag."""
    values = [raw] if isinstance(raw, str) else list(raw or ())
    asked = [tag.strip() for value in values for tag in value.split(",") if tag.strip()]
    if not asked:
        return default_sheet_languages()
    configured = {lang.lower(): lang for lang in content_languages()}
    unknown = [tag for tag in asked if tag.lower() not in configured]
    if unknown:
        raise Invalid(f"languages: {', '.join(unknown)} not configured; the configured "
                      f"languages are {', '.join(content_languages())}", field="languages")
    return tuple(dict.fromkeys(configured[tag.lower()] for tag in asked))


def exhibition_labels(exhibition: Exhibition, *, public_url: str,
                      languages: Sequence[str] | None = None) -> list[Label]:
    """One label a code: the exhibition's entrance codes first, then each item's codes in
    exhibition order. Disabled codes are left out: a printed one would open nothing."""
    languages = tuple(languages or default_sheet_languages())
    labels = [Label(_titles(exhibition.title, languages), code.code,
                    code_url(public_url, code.code))
              for code in exhibition.codes if code.is_enabled]
    for item in exhibition.items:
        labels += [Label(_titles(item.title, languages), code.code,
                         code_url(public_url, code.code))
                   for code in item.codes if code.is_enabled]
    return labels


def _titles(title: dict[str, str], languages: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(title.get(lang, "") for lang in languages)


def check_template(template: str) -> str:
    if template not in TEMPLATES:
        raise Invalid(f"template must be one of {', '.join(TEMPLATES)}, got {template!r}",
                      field="template")
    return template


class LabelSheetQuery(QueryInput):
    blank_is_absent = frozenset({"languages"})
    template: str = Field(default="a4-8", json_schema_extra={"enum": list(TEMPLATES)})
    languages: str | None = Field(
        default=None, description="the languages each label's title is printed in, in this "
                                  "order, comma-separated (or the parameter repeated): "
                                  "configured content languages, else 422 naming them; "
                                  "by default the first two configured")

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str) -> str:
        if value not in TEMPLATES:
            raise refusal(f"template must be one of {', '.join(TEMPLATES)}, got {value!r}")
        return value

    @field_validator("languages")
    @classmethod
    def _configured_languages(cls, value: str | None) -> str | None:
        try:
            return ",".join(sheet_languages(value)) if value else None
        except Invalid as error:
            raise refusal(error.message.removeprefix("languages: ")) from None

    def sheet_languages(self) -> tuple[str, ...]:
        return sheet_languages(self.languages)


def printable_labels(exhibition: Exhibition, *, template: str, public_url: str,
                     languages: Sequence[str] | None = None) -> list[Label]:
    """The labels of a sheet about to be printed; 422 for an unknown template or nothing
    to print."""
    check_template(template)
    labels = exhibition_labels(exhibition, public_url=public_url, languages=languages)
    if not labels:
        raise Invalid("nothing to print: the exhibition and its items have no enabled codes")
    return labels


def exhibition_label_sheet(exhibition: Exhibition, *, template: str, public_url: str,
                           font_path: Path | None = None,
                           languages: Sequence[str] | None = None,
                           labels: list[Label] | None = None) -> bytes:
    languages = tuple(languages or default_sheet_languages())
    if labels is None:
        labels = printable_labels(exhibition, template=template, public_url=public_url,
                                  languages=languages)
    try:
        return label_sheet(labels, template=template, languages=languages,
                           typefaces=Typefaces(font_path))
    except FontMissing as error:
        raise LabelFontMissing(str(error)) from None
