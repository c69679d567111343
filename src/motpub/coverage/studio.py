"""The studio's coverage view, and the Confirm buttons of stale translations."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from motpub.accounts.access import editor_required
from motpub.coverage.services import translations
from motpub.coverage.services.coverage import CoverageQuery, list_coverage
from motpub.errors import ServiceError
from motpub.exhibitions.services import exhibitions as exhibition_service
from motpub.i18n import N_, content_languages, direction
from motpub.inputs import parse, parse_query
from motpub.items.services import items as item_service
from motpub.web.audiences import studio_blueprint
from motpub.web.context import attempt, db
from motpub.web.forms import ButtonForm
from motpub.web.paging import PAGE_SIZE, Page, page_link

bp = studio_blueprint("coverage_studio", __name__)
bp.context_processor(lambda: {"direction": direction})

# What the coverage lists name, as editors read it.
GAP_NAMES = {
    "title": N_("Title"), "summary": N_("Summary"), "body": N_("Article"),
    "links": N_("Link titles"), "intro": N_("Introduction"), "video": N_("Video"),
    "captions": N_("Captions"), "audio_guide": N_("Audio guide"),
}
# The coverage of a language, as its tag says it (services.coverage.Completeness).
COMPLETENESS_NAMES = (N_("complete"), N_("partial"), N_("missing"))


@bp.get("/coverage")
@editor_required
def coverage():
    """Every item and exhibition (or one exhibition's), a page at a time, with what is
    missing and stale in each language (or the one chosen)."""
    args = {name: request.args.get(name, "") for name in ("language", "exhibition")}
    raw_page = request.args.get("page", "")
    number = int(raw_page) if raw_page.isdigit() and len(raw_page) < 10 else 1
    try:
        query = parse_query(CoverageQuery, {**args, "limit": str(PAGE_SIZE),
                                            "offset": str((number - 1) * PAGE_SIZE)})
        found = list_coverage(db(), query)
        problem = None
    except ServiceError as error:
        found, problem = None, error.message
    page = Page(rows=found.entries if found else [], number=number, size=PAGE_SIZE,
                total=found.total if found else 0)
    return render_template(
        "studio/coverage.html", found=found, page=page, page_link=page_link, problem=problem,
        args=args, gap_names=GAP_NAMES, exhibitions=exhibition_service.list_exhibitions(db()),
    ), 422 if problem else 200


def _confirm(thing) -> str | None:
    """Confirm the translation the button names; the refusal to show, if any."""
    if not ButtonForm().validate_on_submit():
        return _("The form has expired: reload the page and try again.")
    data = {"field": request.form.get("field", ""), "language": request.form.get("language", "")}
    result = attempt(lambda: translations.confirm_translation(
        db(), thing, parse(translations.ConfirmInput, data)))
    return result.message if isinstance(result, ServiceError) else None


def _back(endpoint: str, **values: Any) -> str:
    picker: dict[str, Any] = {name: request.form[name] for name in ("edit", "source")
                              if request.form.get(name) in content_languages()}
    return url_for(endpoint, **values, **picker) + "#content"


@bp.post("/items/<int:item_id>/translations/confirm")
@editor_required
def confirm_item_translation(item_id: int):
    item = item_service.get_item(db(), item_id)
    problem = _confirm(item)
    flash(problem or _("Translation confirmed: it is current again."),
          "error" if problem else "ok")
    return redirect(_back("items_studio.item", item_id=item.id))


@bp.post("/exhibitions/<int:exhibition_id>/translations/confirm")
@editor_required
def confirm_exhibition_translation(exhibition_id: int):
    exhibition = exhibition_service.get_exhibition(db(), exhibition_id)
    problem = _confirm(exhibition)
    flash(problem or _("Translation confirmed: it is current again."),
          "error" if problem else "ok")
    return redirect(_back("exhibitions_studio.exhibition", exhibition_id=exhibition.id))
