"""The studio's code forms: a new code's label, a placement, a CSV import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from motpub.web.forms import FlaskForm


class CodeForm(FlaskForm):
    label = StringField(_l("Label, e.g. Hall 2, case 14"), validators=[Length(max=200)])



class PlacementForm(FlaskForm):
    """Where a printed code is stuck and what it opens; the print itself never changes."""

    label = StringField(_l("Label, e.g. Hall 2, case 14"), validators=[Length(max=200)])
    enabled = BooleanField(_l("Enabled: a scan opens the page"))
    item_slug = StringField(_l("Opens the item (slug)"), validators=[Length(max=80)])



class ImportForm(FlaskForm):
    file = FileField(_l("CSV file (UTF-8, as exported)"),
                     validators=[FileRequired(_l("Choose a CSV file."))])
