"""The studio's exhibition form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from motpub.i18n import N_
from motpub.web.forms import LocalizedForm


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

    def to_payload(self, exhibition=None) -> dict:
        """The form as the exhibition service takes it; with a language picker, the texts of
        the languages not on the form are sent as stored."""
        payload: dict = {
            "slug": (self.slug.data or "").strip(),
            "title": self.merged_texts("title", exhibition and exhibition.title),
            "intro": self.merged_texts("intro", exhibition and exhibition.intro),
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
