"""Label sheets of an exhibition: its entrance code, then every code of its items in order."""

from __future__ import annotations

from pathlib import Path

from motpub.exhibitions.models import Exhibition
from motpub.printing.labels import find_cjk_font, FontMissing, Label, label_sheet, TEMPLATES
from motpub.codes.services.codes import code_url
from motpub.errors import Invalid, ServiceError
from motpub.i18n import content_languages
from pydantic import Field, field_validator
from motpub.inputs import QueryInput, refusal


class LabelFontMissing(ServiceError):
    status = 503
    code = "font_missing"


def exhibition_labels(exhibition: Exhibition, *, public_url: str) -> list[Label]:
    """One label a code: the exhibition's entrance codes first, then each item's codes in
    exhibition order. Disabled codes are left out: a printed one would open nothing."""
    labels = [Label(_titles(exhibition.title), code.code, code_url(public_url, code.code))
              for code in exhibition.codes if code.is_enabled]
    for item in exhibition.items:
        labels += [Label(_titles(item.title), code.code, code_url(public_url, code.code))
                   for code in item.codes if code.is_enabled]
    return labels


def _titles(title: dict[str, str]) -> tuple[str, ...]:
    return tuple(title.get(lang, "") for lang in content_languages())


def check_template(template: str) -> str:
    if template not in TEMPLATES:
        raise Invalid(f"template must be one of {', '.join(TEMPLATES)}, got {template!r}",
                      field="template")
    return template


class LabelSheetQuery(QueryInput):
    template: str = Field(default="a4-8", json_schema_extra={"enum": list(TEMPLATES)})

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str) -> str:
        if value not in TEMPLATES:
            raise refusal(f"template must be one of {', '.join(TEMPLATES)}, got {value!r}")
        return value


def printable_labels(exhibition: Exhibition, *, template: str,
                     public_url: str) -> list[Label]:
    """The labels of a sheet about to be printed; 422 for an unknown template or nothing
    to print."""
    check_template(template)
    labels = exhibition_labels(exhibition, public_url=public_url)
    if not labels:
        raise Invalid("nothing to print: the exhibition and its items have no enabled codes")
    return labels


def exhibition_label_sheet(exhibition: Exhibition, *, template: str, public_url: str,
                           font_path: Path | None = None,
                           labels: list[Label] | None = None) -> bytes:
    if labels is None:
        labels = printable_labels(exhibition, template=template, public_url=public_url)
    try:
        font = find_cjk_font(font_path)
    except FontMissing as error:
        raise LabelFontMissing(str(error)) from None
    return label_sheet(labels, template=template, font_path=font)
