"""The studio's placement page of a code: relabel, disable or retarget it, see its history."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from motpub.accounts.access import editor_required
from motpub.codes.api.codes import qr_download
from motpub.codes.services import codes as code_service
from motpub.errors import ServiceError
from motpub.exhibitions.services.exhibitions import item_ids_for_slugs
from motpub.items.services import items as item_service
from motpub.inputs import parse
from motpub.web.audiences import studio_blueprint
from motpub.web.context import attempt, db, settings
from motpub.codes.forms import CodeForm, PlacementForm
from motpub.web.paging import page_link, requested_page

bp = studio_blueprint("codes_studio", __name__)


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
        return redirect(url_for("codes_studio.placement", value=code.code))
    history = requested_page("page", code_service.history_query(code))
    return render_template(
        "studio/code.html", code=code, form=form, history=history.rows, page=history,
        page_link=page_link, titles=code_service.history_titles(db(), history.rows),
        url=code_service.code_url(settings().public_url, code.code),
    ), 422 if form.errors or form.form_errors else 200


@bp.post("/items/<int:item_id>/codes")
@editor_required
def new_code(item_id: int):
    item = item_service.get_item(db(), item_id)
    form = CodeForm()
    if form.validate_on_submit():
        result = attempt(lambda: code_service.issue_code(db(), item,
                                                         label=form.label.data or ""))
        if isinstance(result, ServiceError):
            flash(result.message, "error")
        else:
            flash(_("New code %(code)s created.", code=result.code), "ok")
    else:
        flash(_("The label is too long."), "error")
    return redirect(url_for("items_studio.item", item_id=item.id) + "#codes")


@bp.get("/codes/<value>/qr.<any(svg, png, pdf):extension>")
@editor_required
def code_qr(value: str, extension: str):
    return qr_download(value, extension)
