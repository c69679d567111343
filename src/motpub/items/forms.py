"""The studio's item form: one field per content language for each text."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from motpub.i18n import N_, content_languages, language_name, own_name
from motpub.web.extensions import ui_language
from motpub.web.forms import LocalizedForm


def _links_label(languages) -> str:
    titles = " | ".join(_("%(language)s title", language=language_name(lang, ui_language()))
                        for lang in languages)
    return _("Links: one a line, as URL | %(titles)s", titles=titles)


class ItemForm(LocalizedForm):
    localized_fields = {
        "title": (StringField, N_("Title (%(language)s)"), 200),
        "summary": (TextAreaField, N_("Summary (%(language)s)"), 1000),
        "body": (TextAreaField, N_("Article (%(language)s, Markdown)"), 100_000),
    }
    slug = StringField(_l("Slug (web address)"), validators=[Length(max=80)])
    default_language = SelectField(_l("Default language"), choices=lambda: [
        SelectChoice(lang, own_name(lang)) for lang in content_languages()])
    links = TextAreaField(_l("Links"), validators=[Length(max=20_000)])
    gtin = StringField(_l("GTIN of the product's barcode (optional)"),
                       validators=[Length(max=40)])

    def validate(self, extra_validators=None) -> bool:
        is_valid = super().validate(extra_validators)
        languages = self.languages
        for number, line in enumerate((self.links.data or "").splitlines(), start=1):
            if line.count("|") > len(languages):
                self.links.errors = [*self.links.errors, _(
                    "Line %(line)d has more titles than there are content languages "
                    "(%(languages)s).", line=number, languages=", ".join(languages))]
                is_valid = False
        return is_valid

    def links_label(self) -> str:
        return _links_label(self.languages)

    def to_payload(self, item=None) -> dict:
        """The form as the item service takes it. Editing `item` with a language picker, the
        texts of the languages not on the form are sent as stored, so they stay."""
        payload: dict = {
            "title": self.merged_texts("title", item and item.title),
            "summary": self.merged_texts("summary", item and item.summary),
            "body": self.merged_texts("body", item and item.body),
            "default_language": self.default_language.data,
            "links": [],
            "gtin": (self.gtin.data or "").strip() or None,
        }
        if self.slug.data and self.slug.data.strip():
            payload["slug"] = self.slug.data
        # A link keeps its titles in the languages not on the form, found by its URL.
        stored = {link["url"]: link["title"] for link in reversed(item.links)} if item else {}
        for line in (self.links.data or "").splitlines():
            if not line.strip():
                continue
            url, *titles = (part.strip() for part in line.split("|"))
            title = {**{lang: text for lang, text in stored.get(url, {}).items()
                        if lang in content_languages() and lang not in self.languages},
                     **dict(zip(self.languages, titles, strict=False))}
            payload["links"].append({"url": url, "title": title})
        return payload

    def fill_from(self, item) -> None:
        self.slug.data = item.slug
        self.default_language.data = item.default_language
        for name in self.localized_fields:
            self.fill_texts(name, getattr(item, name))
        self.gtin.data = item.gtin or ""
        self.links.data = "\n".join(
            " | ".join([link["url"],
                        *(link["title"].get(lang, "") for lang in self.languages)])
            for link in item.links
        )
