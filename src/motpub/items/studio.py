"""The editors' studio: items in both languages, preview, publish, codes and their QR."""

from __future__ import annotations

import re

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from motpub.accounts.access import editor_required
from motpub.codes.services import codes as code_service
from motpub.items.models import Item
from motpub.items.services import items as item_service
from motpub.media.services import videos as video_service
from motpub.errors import ServiceError
from motpub.i18n import content_languages, direction, fallback_language, normalize_language
from motpub.coverage.services import coverage as coverage_service, translations
from motpub.analytics.services.scans import item_stats
from motpub.media.api import video_json
from motpub.media.images_api import image_json
from motpub.media.services import images as image_service
from motpub.inputs import parse
from motpub.web.context import attempt, db, runtime, settings
from motpub.web.forms import ButtonForm, LanguagePicker, pick_languages, picker_args
from motpub.codes.forms import CodeForm, ImportForm
from motpub.items.forms import ItemForm
from motpub.web.paging import page_link, requested_page
from motpub.items.public import render_item_html
from motpub.web.audiences import studio_blueprint
from motpub.web.pages import public_csp

bp = studio_blueprint("items_studio", __name__)
# Fields of right-to-left languages say so (dir="rtl"), whatever the interface's direction.
bp.context_processor(lambda: {"direction": direction})


@bp.get("/")
@editor_required
def items():
    page = requested_page("page", item_service.items_query())
    return render_template("studio/items.html", items=page.rows, page=page,
                           page_link=page_link, button=ButtonForm(), import_form=ImportForm(),
                           coverage=coverage_service.glance(db(), page.rows))


def _save(form: ItemForm, item=None, picker: LanguagePicker | None = None):
    """Validate through the item service; on error, show it on the form and return None."""
    source = picker.source if picker else None

    def change():
        payload = form.to_payload(item)
        if item is None:
            return item_service.create_item(db(), parse(item_service.ItemInput, payload),
                                            source_language=source)
        return item_service.update_item(db(), item, parse(item_service.ItemPatch, payload),
                                        source_language=source)

    if isinstance(result := attempt(change), ServiceError):
        form.form_errors.append(result.message)
        return None
    return result


@bp.route("/items/new", methods=["GET", "POST"])
@editor_required
def new_item():
    picker = pick_languages(request.args, source=fallback_language())
    form = ItemForm.build(picker=picker)
    if form.validate_on_submit() and (item := _save(form, picker=picker)) is not None:
        flash(_("Item created."), "ok")
        return redirect(url_for("items_studio.item", item_id=item.id, **picker_args(picker)))
    status = 422 if request.method == "POST" else 200
    return render_template("studio/item_form.html", form=form, item=None, picker=picker,
                           status={}), status


@bp.route("/items/<int:item_id>", methods=["GET", "POST"])
@editor_required
def item(item_id: int):
    item = item_service.get_item(db(), item_id)
    picker = pick_languages(request.args, source=item.default_language)
    form = ItemForm.build(picker=picker)
    if request.method == "GET":
        form.fill_from(item)
    elif form.validate_on_submit() and _save(form, item, picker) is not None:
        flash(_("Saved."), "ok")
        return redirect(url_for("items_studio.item", item_id=item.id, **picker_args(picker)))
    runtime().scan_recorder.flush()
    return render_template(
        "studio/item.html", form=form, item=item, button=ButtonForm(), code_form=CodeForm(),
        stats=item_stats(db(), item.id), public_url=settings().public_url,
        codes=requested_page("codes_page", code_service.codes_query(item.id)),
        page_link=page_link, code_url=code_service.code_url,
        videos=[video_json(video) for video in item.videos],
        **image_context(item),
        video_urls=_video_url_templates(), picker=picker,
        status=translations.status_for(db(), item),
        orphans=translations.orphaned_texts(item),
    ), 422 if form.errors or form.form_errors else 200


def _video_url_templates() -> dict[str, str]:
    """URLs with `{id}` where a video's id goes: the upload script fills them in for videos
    it creates, so it never spells out a route itself."""
    return {name: url_for(endpoint, video_id=0).replace("/0", "/{id}", 1)
            for name, endpoint in (("video", "media_api.get_video"),
                                   ("row", "items_studio.video_row"))}


@bp.get("/videos/<int:video_id>/row")
@editor_required
def video_row(video_id: int):
    """One row of the item page's media list, for the script to swap in when it changes."""
    video = video_service.get_video(db(), video_id)
    response = make_response(render_template("studio/_video.html", v=video_json(video)))
    response.headers["Cache-Control"] = "no-store"
    return response


def image_context(owner) -> dict:
    """What templates/studio/_images.html needs: the owner's pictures as the API shows them,
    which languages' articles place each one, and the API's URLs."""
    images = image_service.images_of(db(), owner)
    is_item = isinstance(owner, Item)
    bodies = owner.body if is_item else {}  # an exhibition's intro places no picture
    return {
        "images": [image_json(image) for image in images],
        "image_references": {image.id: referencing_languages(bodies, image.id)
                             for image in images},
        "image_create_url": url_for("media_images_api.create_item_image", item_id=owner.id)
        if is_item else url_for("media_images_api.create_exhibition_image",
                                exhibition_id=owner.id),
        "image_url": url_for("media_images_api.get_image", image_id=0).replace("/0", "/{id}", 1),
        "image_form": ButtonForm(),
    }


def referencing_languages(bodies: dict[str, str], image_id: int) -> list[str]:
    """The languages whose article places the image (`image:<id>`), in configured order."""
    pattern = re.compile(rf"\bimage:{image_id}(?!\d)")
    return [lang for lang in content_languages() if pattern.search(bodies.get(lang) or "")]


def _back_to_owner(image):
    """To the picture's item or exhibition page, with the language picker where it was."""
    picker = {name: request.form[name] for name in ("edit", "source") if request.form.get(name)}
    if image.item_id is not None:
        url = url_for("items_studio.item", item_id=image.item_id, **picker)
    else:
        url = url_for("exhibitions_studio.exhibition", exhibition_id=image.exhibition_id,
                      **picker)
    return redirect(url + "#pictures")


@bp.post("/images/<int:image_id>")
@editor_required
def save_image(image_id: int):
    """The picture's alt text and caption in the languages on the form, and its credit."""
    image = image_service.get_image(db(), image_id)
    if not ButtonForm().validate_on_submit():
        flash(_("The form has expired: reload the page and try again."), "error")
        return _back_to_owner(image)
    alt = {key[4:]: value for key, value in request.form.items() if key.startswith("alt-")}
    caption = {key[8:]: value for key, value in request.form.items()
               if key.startswith("caption-")}
    payload = {"alt": alt, "caption": caption, "credit": request.form.get("credit", "")}
    result = attempt(lambda: image_service.update_image(
        db(), image, parse(image_service.ImagePatch, payload)))
    if isinstance(result, ServiceError):
        flash(result.message, "error")
    else:
        flash(_("Picture saved."), "ok")
    return _back_to_owner(image)


@bp.post("/images/<int:image_id>/<any(up, down):direction>")
@editor_required
def move_image(image_id: int, direction: str):
    image = image_service.get_image(db(), image_id)
    if ButtonForm().validate_on_submit():
        position = max(0, image.position + (1 if direction == "down" else -1))
        image_service.update_image(db(), image, image_service.ImagePatch(position=position))
    return _back_to_owner(image)


@bp.post("/images/<int:image_id>/delete")
@editor_required
def delete_image(image_id: int):
    image = image_service.get_image(db(), image_id)
    back = _back_to_owner(image)
    if ButtonForm().validate_on_submit():
        image_service.delete_image(db(), runtime().storage, image)
        flash(_("Picture deleted."), "ok")
    return back


@bp.post("/items/<int:item_id>/<any(publish, unpublish):action>")
@editor_required
def change_status(item_id: int, action: str):
    item = item_service.get_item(db(), item_id)
    if ButtonForm().validate_on_submit():
        if action == "publish":
            refused = attempt(lambda: item_service.publish_item(db(), item))
            if isinstance(refused, item_service.MissingAlt):
                flash(_(item_service.MISSING_ALT, **refused.message_args), "error")
            elif isinstance(refused, ServiceError):
                flash(refused.message, "error")
            else:
                flash(_("Published: visitors can open this item now."), "ok")
        else:
            item_service.unpublish_item(db(), item)
            flash(_("Unpublished: visitors now see 'not found'."), "ok")
    return redirect(url_for("items_studio.item", item_id=item.id))


@bp.get("/items/<int:item_id>/preview")
@editor_required
def preview(item_id: int):
    item = item_service.get_item(db(), item_id)
    language = normalize_language(request.args.get("lang")) or item.default_language
    response = preview_response(render_item_html(
        item, language, is_preview=True,
        switch_url=lambda other: url_for("items_studio.preview", item_id=item.id, lang=other)))
    response.headers["Content-Language"] = language
    return response


def preview_response(html: str):
    """A preview: the public page's CSP, never cached."""
    response = make_response(html)
    response.headers["Content-Security-Policy"] = public_csp()
    response.headers["Cache-Control"] = "no-store"
    return response
