"""Studio forms. They carry the CSRF token and the raw fields; the services validate content."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as _FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, EmailField, PasswordField, SelectChoice, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from motpub.domain import LANGUAGES, Role
from motpub.services.inputs import has_control_character


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


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class ItemForm(FlaskForm):
    slug = StringField(_l("Slug (web address)"), validators=[Length(max=80)])
    default_language = SelectField(_l("Default language"),
                                   choices=[SelectChoice("zh", "中文"),
                                            SelectChoice("en", "English")])
    title_zh = StringField(_l("Title (Chinese)"), validators=[Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Length(max=200)])
    summary_zh = TextAreaField(_l("Summary (Chinese)"), validators=[Length(max=1000)])
    summary_en = TextAreaField(_l("Summary (English)"), validators=[Length(max=1000)])
    body_zh = TextAreaField(_l("Article (Chinese, Markdown)"), validators=[Length(max=100_000)])
    body_en = TextAreaField(_l("Article (English, Markdown)"), validators=[Length(max=100_000)])
    links = TextAreaField(
        _l("Links: one a line, as URL | Chinese title | English title"),
        validators=[Length(max=20_000)],
    )
    gtin = StringField(_l("GTIN of the product's barcode (optional)"),
                       validators=[Length(max=40)])

    def to_payload(self) -> dict:
        payload: dict = {
            "title": {lang: self[f"title_{lang}"].data or "" for lang in LANGUAGES},
            "summary": {lang: self[f"summary_{lang}"].data or "" for lang in LANGUAGES},
            "body": {lang: self[f"body_{lang}"].data or "" for lang in LANGUAGES},
            "default_language": self.default_language.data,
            "links": [],
            "gtin": (self.gtin.data or "").strip() or None,
        }
        if self.slug.data and self.slug.data.strip():
            payload["slug"] = self.slug.data
        for line in (self.links.data or "").splitlines():
            if not line.strip():
                continue
            url, _sep, rest = (part.strip() for part in line.partition("|"))
            zh, _sep, en = (part.strip() for part in rest.partition("|"))
            payload["links"].append({"url": url, "title": {"zh": zh, "en": en}})
        return payload

    def fill_from(self, item) -> None:
        self.slug.data = item.slug
        self.default_language.data = item.default_language
        for lang in LANGUAGES:
            self[f"title_{lang}"].data = item.title.get(lang, "")
            self[f"summary_{lang}"].data = item.summary.get(lang, "")
            self[f"body_{lang}"].data = item.body.get(lang, "")
        self.gtin.data = item.gtin or ""
        self.links.data = "\n".join(
            " | ".join([link["url"], link["title"].get("zh", ""), link["title"].get("en", "")])
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


class ExhibitionForm(FlaskForm):
    slug = StringField(_l("Slug (web address)"), validators=[Length(max=80)])
    title_zh = StringField(_l("Title (Chinese)"), validators=[Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Length(max=200)])
    intro_zh = TextAreaField(_l("Introduction (Chinese)"), validators=[Length(max=1000)])
    intro_en = TextAreaField(_l("Introduction (English)"), validators=[Length(max=1000)])
    venue = StringField(_l("Venue"), validators=[Length(max=200)])
    timezone = StringField(_l("Time zone, e.g. Asia/Shanghai"), validators=[Length(max=64)])
    starts_on = StringField(_l("Opens on"), validators=[Length(max=10)])
    ends_on = StringField(_l("Closes on"), validators=[Length(max=10)])
    items = TextAreaField(_l("Items in order: one slug a line"),
                          validators=[Length(max=50_000)])

    def to_payload(self) -> dict:
        payload: dict = {
            "slug": (self.slug.data or "").strip(),
            "title": {lang: self[f"title_{lang}"].data or "" for lang in LANGUAGES},
            "intro": {lang: self[f"intro_{lang}"].data or "" for lang in LANGUAGES},
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
        for lang in LANGUAGES:
            self[f"title_{lang}"].data = exhibition.title.get(lang, "")
            self[f"intro_{lang}"].data = exhibition.intro.get(lang, "")
        self.venue.data = exhibition.venue
        self.timezone.data = exhibition.timezone
        self.starts_on.data = exhibition.starts_on.isoformat() if exhibition.starts_on else ""
        self.ends_on.data = exhibition.ends_on.isoformat() if exhibition.ends_on else ""
        self.items.data = "\n".join(item.slug for item in exhibition.items)
