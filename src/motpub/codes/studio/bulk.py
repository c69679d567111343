"""The studio's import and export of items as CSV, through the same service as the API."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from motpub.codes.services import bulk
from motpub.items.services import items as item_service
from motpub.errors import ServiceError
from motpub.web.audiences import studio_blueprint
from motpub.web.context import attempt, db
from motpub.web.forms import ButtonForm
from motpub.codes.forms import ImportForm
from motpub.web.paging import page_link, requested_page
from motpub.accounts.access import editor_required

bp = studio_blueprint("codes_bulk_studio", __name__)

MAX_CSV_BYTES = 5 * 2**20


@bp.post("/items/import")
@editor_required
def import_items():
    """All rows or none: on any problem nothing changes and every problem is listed."""
    form, problems = ImportForm(), []
    if form.validate_on_submit():
        problems = _import(form.file.data.read(MAX_CSV_BYTES + 1))
        if not problems:
            return redirect(url_for("items_studio.items"))
    page = requested_page("page", item_service.items_query())
    return render_template("studio/items.html", items=page.rows, page=page,
                           page_link=page_link, button=ButtonForm(), import_form=form,
                           problems=problems), 422


def _import(raw: bytes) -> list[tuple[int, str]]:
    """Import the file and say so, or return its problems as (row, message), row 0 for the
    whole file; nothing is written then."""
    if len(raw) > MAX_CSV_BYTES:
        return [(0, _("The file is larger than 5 MB."))]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [(0, _("The file is not UTF-8 text. Save the CSV as UTF-8 and try again."))]
    result = attempt(lambda: bulk.import_items_csv(db(), text))
    if isinstance(result, bulk.ImportRejected):
        return result.problems
    if isinstance(result, ServiceError):  # not a CSV of items at all: its header, its length
        return [(0, result.message)]
    created, updated = result
    flash(_("Imported: %(created)d new, %(updated)d updated.",
            created=len(created), updated=len(updated)), "ok")
    return []
