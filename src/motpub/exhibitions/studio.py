"""The studio's exhibitions: list, create, edit with the order of items, entrance codes,
label sheets."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from motpub.printing.labels import TEMPLATES
from motpub.exhibitions.services import exhibitions as exhibition_service
from motpub.items.services import items as item_service
from motpub.items.studio import image_context
from motpub.codes.services.codes import code_url
from motpub.errors import Invalid, ServiceError
from motpub.i18n import content_languages
from motpub.codes.services import label_jobs
from motpub.inputs import parse
from motpub.codes.services.labels import (
    default_sheet_languages, printable_labels, sheet_languages)
from motpub.codes.api.label_jobs import start_label_job
from motpub.web.audiences import studio_blueprint
from motpub.web.context import attempt, db, settings
from motpub.web.forms import ButtonForm, LanguagePicker, pick_languages, picker_args
from motpub.coverage.services import translations
from motpub.i18n import direction, fallback_language
from motpub.codes.forms import CodeForm
from motpub.exhibitions.forms import ExhibitionForm
from motpub.web.paging import page_link, requested_page
from motpub.accounts.access import editor_required

bp = studio_blueprint("exhibitions_studio", __name__)
bp.context_processor(lambda: {"direction": direction})


@bp.get("/exhibitions")
@editor_required
def exhibitions():
    page = requested_page("page", exhibition_service.exhibitions_query())
    return render_template("studio/exhibitions.html", exhibitions=page.rows, page=page,
                           page_link=page_link)


def _save(form: ExhibitionForm, exhibition=None, picker: LanguagePicker | None = None):
    """Fields and order of items in one transaction; on error, shown on the form."""
    source = picker.source if picker else None

    def change():
        payload = form.to_payload(exhibition)
        item_ids = exhibition_service.item_ids_for_slugs(db(), form.item_slugs())
        saved = exhibition
        if saved is None:
            saved = exhibition_service.create_exhibition(
                db(), parse(exhibition_service.ExhibitionInput, payload),
                source_language=source)
        else:
            exhibition_service.update_exhibition(
                db(), saved, parse(exhibition_service.ExhibitionPatch, payload),
                source_language=source)
        exhibition_service.set_exhibition_items(db(), saved, item_ids)
        return saved

    if isinstance(result := attempt(change), ServiceError):
        form.form_errors.append(result.message)
        return None
    return result


def _render(form: ExhibitionForm, exhibition, picker: LanguagePicker | None):
    return render_template(
        "studio/exhibition.html", form=form, exhibition=exhibition,
        all_items=item_service.list_items(db(), limit=1000), button=ButtonForm(),
        code_form=CodeForm(), templates=list(TEMPLATES), public_url=settings().public_url,
        code_url=code_url, picker=picker, sheet_languages=default_sheet_languages(),
        status=translations.status_for(db(), exhibition) if exhibition else {},
        orphans=translations.orphaned_texts(exhibition) if exhibition else [],
        **(image_context(exhibition) if exhibition else {}),
    ), 422 if form.errors or form.form_errors else 200


@bp.route("/exhibitions/new", methods=["GET", "POST"])
@editor_required
def new_exhibition():
    picker = pick_languages(request.args, source=fallback_language())
    form = ExhibitionForm.build(picker=picker)
    if form.validate_on_submit() and (exhibition := _save(form, picker=picker)) is not None:
        flash(_("Exhibition created."), "ok")
        return redirect(url_for("exhibitions_studio.exhibition", exhibition_id=exhibition.id,
                                **picker_args(picker)))
    return _render(form, None, picker)


@bp.route("/exhibitions/<int:exhibition_id>", methods=["GET", "POST"])
@editor_required
def exhibition(exhibition_id: int):
    exhibition = exhibition_service.get_exhibition(db(), exhibition_id)
    picker = pick_languages(request.args,
                            source=translations.source_language_of(exhibition))
    form = ExhibitionForm.build(picker=picker)
    if request.method == "GET":
        form.fill_from(exhibition)
    elif form.validate_on_submit() and _save(form, exhibition, picker) is not None:
        flash(_("Saved."), "ok")
        return redirect(url_for("exhibitions_studio.exhibition", exhibition_id=exhibition.id,
                                **picker_args(picker)))
    return _render(form, exhibition, picker)


@bp.post("/exhibitions/<int:exhibition_id>/codes")
@editor_required
def new_exhibition_code(exhibition_id: int):
    exhibition = exhibition_service.get_exhibition(db(), exhibition_id)
    form = CodeForm()
    if form.validate_on_submit():
        code = exhibition_service.issue_exhibition_code(db(), exhibition,
                                                        label=form.label.data or "")
        flash(_("New code %(code)s created.", code=code.code), "ok")
    else:
        flash(_("The label is too long."), "error")
    return redirect(url_for("exhibitions_studio.exhibition", exhibition_id=exhibition.id)
                    + "#codes")


@bp.post("/exhibitions/<int:exhibition_id>/delete")
@editor_required
def delete_exhibition(exhibition_id: int):
    exhibition = exhibition_service.get_exhibition(db(), exhibition_id)
    if ButtonForm().validate_on_submit():
        exhibition_service.delete_exhibition(db(), exhibition)
        flash(_("Exhibition deleted; its items are kept."), "ok")
    return redirect(url_for("exhibitions_studio.exhibitions"))


@bp.get("/exhibitions/<int:exhibition_id>/labels/<template>")
@editor_required
def labels(exhibition_id: int, template: str):
    """A small sheet downloads at once; a large one is built by a worker while the editor
    watches its progress."""
    exhibition = exhibition_service.get_exhibition(db(), exhibition_id)
    asked = request.args.getlist("languages")
    try:
        languages = sheet_languages(asked)
    except Invalid:
        flash(_("Choose the languages of the labels among %(languages)s.",
                languages=", ".join(content_languages())), "error")
        return redirect(url_for("exhibitions_studio.exhibition", exhibition_id=exhibition.id))
    found = printable_labels(exhibition, template=template, public_url=settings().public_url,
                             languages=languages)
    if len(found) <= settings().max_direct_labels:
        # The languages only when chosen, so a plain sheet keeps its address.
        return redirect(url_for("exhibitions_api.exhibition_labels", exhibition_id=exhibition.id,
                                template=template,
                                languages=",".join(languages) if asked else None))
    job = start_label_job(exhibition, template, len(found), languages)
    return redirect(url_for("exhibitions_studio.label_job", job_id=job.id))


@bp.get("/label-jobs/<int:job_id>")
@editor_required
def label_job(job_id: int):
    job = label_jobs.get_label_job(db(), job_id)
    return render_template("studio/label_job.html", job=job,
                           languages=label_jobs.job_languages(job),
                           exhibition=exhibition_service.get_exhibition(db(), job.exhibition_id))
