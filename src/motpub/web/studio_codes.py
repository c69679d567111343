"""The studio's placement page of a code: relabel, disable or retarget it, see its history."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from motpub.services import codes as code_service
from motpub.services.errors import ServiceError
from motpub.services.exhibitions import item_ids_for_slugs
from motpub.services.items import parse
from motpub.web.context import attempt, db, settings
from motpub.web.forms import PlacementForm
from motpub.web.paging import page_link, requested_page
from motpub.web.studio import bp, editor_required


def _save(form: PlacementForm, code) -> bool:
    payload: dict = {"label": form.label.data or "", "enabled": bool(form.enabled.data)}

    def change() -> None:
        slug = (form.item_slug.data or "").strip()
        if slug and (code.item is None or slug != code.item.slug):
            payload["item_id"] = item_ids_for_slugs(db(), [slug])[0]
        code_service.update_code(db(), code, parse(code_service.CodePatch, payload))

    if isinstance(error := attempt(change), ServiceError):
        form.form_errors.append(error.message)
        return False
    return True


@bp.route("/codes/<value>", methods=["GET", "POST"])
@editor_required
def placement(value: str):
    code = code_service.get_code(db(), value)
    form = PlacementForm()
    if request.method == "GET":
        form.label.data, form.enabled.data = code.label, code.is_enabled
        form.item_slug.data = code.item.slug if code.item else ""
    elif form.validate_on_submit() and _save(form, code):
        flash(_("Saved."), "ok")
        return redirect(url_for("studio.placement", value=code.code))
    history = requested_page("page", code_service.history_query(code))
    return render_template(
        "studio/code.html", code=code, form=form, history=history.rows, page=history,
        page_link=page_link, titles=code_service.history_titles(db(), history.rows),
        url=code_service.code_url(settings().public_url, code.code),
    ), 422 if form.errors or form.form_errors else 200
