"""Studio forms. They carry the CSRF token and the raw fields; the services validate content."""

from __future__ import annotations

import functools
from typing import ClassVar

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as _FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, EmailField, PasswordField, SelectChoice, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from motpub.accounts.models import Role
from motpub.inputs import has_control_character
from motpub.i18n import content_languages, language_name, N_, own_name
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

    @classmethod
    def build(cls, **kwargs) -> LocalizedForm:
        return _with_languages(cls, content_languages())(**kwargs)

    def localized(self, name: str) -> list[tuple[str, object]]:
        """The fields of `name`, one a content language, in the editors' order."""
        return [(lang, self[f"{name}_{lang}"]) for lang in content_languages()]

    def texts(self, name: str) -> dict[str, str]:
        return {lang: field.data or "" for lang, field in self.localized(name)}

    def fill_texts(self, name: str, texts: dict[str, str]) -> None:
        for lang, field in self.localized(name):
            field.data = texts.get(lang, "")


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


def _links_label() -> str:
    titles = " | ".join(_("%(language)s title", language=language_name(lang, ui_language()))
                        for lang in content_languages())
    return _("Links: one a line, as URL | %(titles)s", titles=titles)


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class ItemForm(LocalizedForm):
    localized_fields = {
        "title": (StringField, N_("Title (%(language)s)"), 200),
        "summary": (TextAreaField, N_("Summary (%(language)s)"), 1000),
        "body": (TextAreaField, N_("Article (%(language)s, Markdown)"), 100_000),
    }
    slug = StringField(_l("Slug (web address)"), validators=[Length(max=80)])
    default_language = SelectField(_l("Default language"), choices=lambda: [
        SelectChoice(lang, own_name(lang)) for lang in content_languages()])
    links = TextAreaField(LazyString(_links_label), validators=[Length(max=20_000)])
    gtin = StringField(_l("GTIN of the product's barcode (optional)"),
                       validators=[Length(max=40)])

    def to_payload(self) -> dict:
        payload: dict = {
            "title": self.texts("title"),
            "summary": self.texts("summary"),
            "body": self.texts("body"),
            "default_language": self.default_language.data,
            "links": [],
            "gtin": (self.gtin.data or "").strip() or None,
        }
        if self.slug.data and self.slug.data.strip():
            payload["slug"] = self.slug.data
        for line in (self.links.data or "").splitlines():
            if not line.strip():
                continue
            url, *titles = (part.strip() for part in line.split("|"))
            payload["links"].append({"url": url, "title": dict(zip(content_languages(), titles))})
        return payload

    def fill_from(self, item) -> None:
        self.slug.data = item.slug
        self.default_language.data = item.default_language
        for name in self.localized_fields:
            self.fill_texts(name, getattr(item, name))
        self.gtin.data = item.gtin or ""
        self.links.data = "\n".join(
            " | ".join([link["url"], *(link["title"].get(lang, "") for lang in content_languages())])
            for link in item.links
        )


class CodeForm(FlaskForm):
    label = StringField(_l("Label, e.g. Hall 2, case 14"), validators=[Length(max=200)])


class PlacementForm(FlaskForm):
    """Where a printed code is stuck and what it opens; the print itself never changes."""

    label = StringField(_l("Label, e.g. Hall 2, case 14"), validators=[Length(max=200)])
    enabled = BooleanField(_l("Enabled: a scan opens the page"))
    item_slug = StringField(_l("Opens the item (slug)"), validators=[Length(max=80)])


class UserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice(role.value, role.value) for role in Role])
    # InputRequired, not DataRequired: a password of spaces reaches the policy, which says why.
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=1024)])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(role.value, role.value) for role in Role])


class SetPasswordForm(FlaskForm):
    """A new password, typed twice; the services judge whether it is strong enough."""

    password = PasswordField(_l("New password"),
                             validators=[InputRequired(), Length(max=1024)])
    confirm = PasswordField(_l("New password again"), validators=[
        InputRequired(), EqualTo("password", message=_l("The two new passwords differ."))])


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=1024)])


class ButtonForm(FlaskForm):
    """A form with no fields but the CSRF token, for buttons that change something."""


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file (UTF-8, as exported)"),
                     validators=[FileRequired(_l("Choose a CSV file."))])


class ExhibitionForm(LocalizedForm):
    localized_fields = {
        "title": (StringField, N_("Title (%(language)s)"), 200),
        "intro": (TextAreaField, N_("Introduction (%(language)s)"), 1000),
    }
    slug = StringField(_l("Slug (web address)"), validators=[Length(max=80)])
    venue = StringField(_l("Venue"), validators=[Length(max=200)])
    timezone = StringField(_l("Time zone, e.g. Asia/Shanghai"), validators=[Length(max=64)])
    starts_on = StringField(_l("Opens on"), validators=[Length(max=10)])
    ends_on = StringField(_l("Closes on"), validators=[Length(max=10)])
    items = TextAreaField(_l("Items in order: one slug a line"),
                          validators=[Length(max=50_000)])

    def to_payload(self) -> dict:
        payload: dict = {
            "slug": (self.slug.data or "").strip(),
            "title": self.texts("title"),
            "intro": self.texts("intro"),
            "venue": self.venue.data or "",
            "starts_on": (self.starts_on.data or "").strip() or None,
            "ends_on": (self.ends_on.data or "").strip() or None,
        }
        if (self.timezone.data or "").strip():
            payload["timezone"] = self.timezone.data.strip()
        return payload

    def item_slugs(self) -> list[str]:
        return [line.strip() for line in (self.items.data or "").splitlines() if line.strip()]

    def fill_from(self, exhibition) -> None:
        self.slug.data = exhibition.slug
        self.fill_texts("title", exhibition.title)
        self.fill_texts("intro", exhibition.intro)
        self.venue.data = exhibition.venue
        self.timezone.data = exhibition.timezone
        self.starts_on.data = exhibition.starts_on.isoformat() if exhibition.starts_on else ""
        self.ends_on.data = exhibition.ends_on.isoformat() if exhibition.ends_on else ""
        self.items.data = "\n".join(item.slug for item in exhibition.items)
