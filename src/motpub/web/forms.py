"""Studio forms. They carry the CSRF token and the raw fields; the services validate content."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from flask import has_request_context, request
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_wtf import FlaskForm as _FlaskForm
from wtforms import (TextAreaField)
from wtforms.validators import Length

from motpub.inputs import has_control_character
from motpub.i18n import content_languages, language_name
from motpub.web.extensions import ui_language


class FlaskForm(_FlaskForm):
    """Every studio form: no field may hold a control character (NUL and the like), which
    PostgreSQL refuses; text areas may hold tabs and line breaks."""

    def validate(self, extra_validators=None) -> bool:
        is_valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and has_control_character(
                    field.data, multiline=isinstance(field, TextAreaField)):
                field.errors = [*field.errors,
                                _("Remove the control characters (such as NUL) "
                                  "from this field.")]
                is_valid = False
        return is_valid


class LocalizedForm(FlaskForm):
    """A form with one field per content language for each of `localized_fields`, named
    `<field>_<language>` (title_zh, title_en, ...). Made with build(): the languages are the
    deployment's, known once the app is configured."""

    # name: (field class, label with a %(language)s placeholder, longest text)
    localized_fields: ClassVar[dict[str, tuple[type, str, int]]] = {}
    # The languages whose fields are on the form: every content language, or with a language
    # picker the one being edited (the others are kept as stored when the form is saved).
    on_form: tuple[str, ...] = ()

    @classmethod
    def build(cls, *, picker: LanguagePicker | None = None, **kwargs) -> LocalizedForm:
        form = _with_languages(cls, content_languages())(**kwargs)
        form.on_form = (picker.edit,) if picker else content_languages()
        return form

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages on the form, in the editors' order."""
        return self.on_form or content_languages()

    def validate(self, extra_validators=None) -> bool:
        is_valid = super().validate(extra_validators)
        # A field of a language that is not configured (title_de, from an old page or a
        # script) is refused by name, not dropped without a word.
        sent = request.form if has_request_context() else {}
        unknown = [key for key in sent if key.partition("_")[0] in self.localized_fields
                   and key not in self._fields]
        if unknown:
            self.form_errors.append(_(
                "%(fields)s: not a content language. The content languages are "
                "%(languages)s.", fields=", ".join(unknown),
                languages=", ".join(content_languages())))
            is_valid = False
        return is_valid

    def localized(self, name: str) -> list[tuple[str, object]]:
        """The fields of `name` on the form, one a language, in the editors' order."""
        return [(lang, self[f"{name}_{lang}"]) for lang in self.languages]

    def texts(self, name: str) -> dict[str, str]:
        return {lang: field.data or "" for lang, field in self.localized(name)}

    def merged_texts(self, name: str, stored: dict[str, str] | None) -> dict[str, str]:
        """The texts of `name` on the form, and the stored ones of the content languages
        that are not on it: a save never clears a language the editor did not see."""
        kept = {lang: text for lang, text in (stored or {}).items()
                if lang in content_languages() and lang not in self.languages}
        return {**kept, **self.texts(name)}

    def fill_texts(self, name: str, texts: dict[str, str]) -> None:
        for lang, field in self.localized(name):
            field.data = texts.get(lang, "")


# Up to this many content languages, forms show a column for each; with more, a picker.
MAX_LANGUAGE_COLUMNS = 3


@dataclass(frozen=True)
class LanguagePicker:
    """With many content languages, a form edits one (`edit`), with the text in `source`
    shown read-only beside it."""

    edit: str
    source: str

    @property
    def shows_source(self) -> bool:
        return self.source != self.edit


def picker_args(picker: LanguagePicker | None) -> dict[str, Any]:
    """The query arguments that keep the picker where it was, for a redirect."""
    return {"edit": picker.edit, "source": picker.source} if picker else {}


def pick_languages(args: Mapping[str, str], *, source: str) -> LanguagePicker | None:
    """The picker asked for by `?edit=ru&source=zh`, None while every language has a column.
    A language not configured is ignored: the default source (the item's default language)
    is shown and edited instead."""
    languages = content_languages()
    if len(languages) <= MAX_LANGUAGE_COLUMNS:
        return None
    source = source if source in languages else languages[0]
    chosen_source = args.get("source", "")
    chosen_edit = args.get("edit", "")
    return LanguagePicker(
        edit=chosen_edit if chosen_edit in languages else source,
        source=chosen_source if chosen_source in languages else source)


def _label(message_id: str, language: str) -> str:
    """A field's label in the interface's language, naming the language it is for."""
    return _(message_id, language=language_name(language, ui_language()))


@functools.cache
def _with_languages(form: type[LocalizedForm], languages: tuple[str, ...]) -> type:
    fields = {
        f"{name}_{lang}": field(LazyString(_label, label, lang), validators=[Length(max=size)])
        for name, (field, label, size) in form.localized_fields.items() for lang in languages
    }
    return type(form.__name__, (form,), fields)


class ButtonForm(FlaskForm):
    """A form with no fields but the CSRF token, for buttons that change something."""
