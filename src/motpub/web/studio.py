"""The editors' studio: items in both languages, preview, publish, codes and their QR."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import (Blueprint, abort, flash, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from motpub.domain import Role
from motpub.services import codes as code_service
from motpub.services import items as item_service
from motpub.services import videos as video_service
from motpub.services.errors import Invalid, ServiceError
from motpub.services.language import normalize_language
from motpub.services.scans import item_stats
from motpub.services.users import authenticate, end_sessions
from motpub.web.api.codes import qr_download
from motpub.web.api.videos import video_json
from motpub.web.context import db, runtime, settings
from motpub.web.extensions import LANGUAGE_COOKIE, SessionUser, limiter
from motpub.web.forms import ButtonForm, CodeForm, ImportForm, ItemForm, LoginForm
from motpub.web.paging import page_link, requested_page
from motpub.web.public import csp_sources, public_csp, render_item_html

bp = Blueprint("studio", __name__, url_prefix="/studio")


def role_required(permission: Callable[[Role], bool]):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not permission(current_user.role):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


editor_required = role_required(lambda role: role.can_edit)
admin_required = role_required(lambda role: role.can_manage_users)


def _safe_next(target: str | None, *, home: str = "studio.items") -> str:
    """`target` if it is a path on this site, else the home page. Browsers read a backslash
    as a slash and drop tabs and newlines, so `/\\host` and `/<tab>/host` would leave the site;
    and a control character cannot go into a Location header at all."""
    if target and target.startswith("/") and "\\" not in target \
            and not any(ord(char) < 0x20 or ord(char) == 0x7F for char in target) \
            and not target.startswith("//") and not urlsplit(target).netloc \
            and not urlsplit(target).scheme:
        return target
    return url_for(home)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: settings().login_rate_limit, methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db(), email=form.email.data, password=form.password.data)
        if user is not None:
            db().commit()
            login_user(SessionUser(user))
            # Analysts may not open the items list; their home is the ops dashboard.
            home = "studio.items" if user.role.can_edit else "ops.dashboard"
            return redirect(_safe_next(request.args.get("next"), home=home))
        flash(_("Wrong email or password."), "error")
    return render_template("studio/login.html", form=form), \
        422 if request.method == "POST" else 200


@bp.post("/logout")
@login_required
def logout():
    if ButtonForm().validate_on_submit():
        # The version moves on, so a copy of this session's cookie stops working too.
        end_sessions(current_user.user)
        db().commit()
        logout_user()
    return redirect(url_for("studio.login"))


@bp.get("/language/<language>")
def choose_language(language: str):
    response = redirect(_safe_next(request.args.get("next")))
    if normalize_language(language):
        response.set_cookie(LANGUAGE_COOKIE, normalize_language(language),
                            max_age=365 * 86400, samesite="Lax", httponly=True,
                            secure=settings().is_https)
    return response


@bp.get("/")
@editor_required
def items():
    page = requested_page("page", item_service.items_query())
    return render_template("studio/items.html", items=page.rows, page=page,
                           page_link=page_link, button=ButtonForm(), import_form=ImportForm())


def _save(form: ItemForm, item=None):
    """Validate through the item service; on error, show it on the form and return None."""
    try:
        payload = form.to_payload()
        if item is None:
            item = item_service.create_item(
                db(), item_service.parse(item_service.ItemInput, payload))
        else:
            item_service.update_item(
                db(), item, item_service.parse(item_service.ItemPatch, payload))
        db().commit()
        return item
    except ServiceError as error:
        db().rollback()
        form.form_errors.append(error.message)
        return None


@bp.route("/items/new", methods=["GET", "POST"])
@editor_required
def new_item():
    form = ItemForm()
    if form.validate_on_submit() and (item := _save(form)) is not None:
        flash(_("Item created."), "ok")
        return redirect(url_for("studio.item", item_id=item.id))
    status = 422 if request.method == "POST" else 200
    return render_template("studio/item_form.html", form=form, item=None), status


@bp.route("/items/<int:item_id>", methods=["GET", "POST"])
@editor_required
def item(item_id: int):
    item = item_service.get_item(db(), item_id)
    form = ItemForm()
    if request.method == "GET":
        form.fill_from(item)
    elif form.validate_on_submit() and _save(form, item) is not None:
        flash(_("Saved."), "ok")
        return redirect(url_for("studio.item", item_id=item.id))
    runtime().scan_recorder.flush()
    return render_template(
        "studio/item.html", form=form, item=item, button=ButtonForm(), code_form=CodeForm(),
        stats=item_stats(db(), item.id), public_url=settings().public_url,
        codes=requested_page("codes_page", code_service.codes_query(item.id)),
        page_link=page_link, code_url=code_service.code_url,
        videos=[video_json(video) for video in item.videos],
        video_urls=_video_url_templates(),
    ), 422 if form.errors or form.form_errors else 200


def _video_url_templates() -> dict[str, str]:
    """URLs with `{id}` where a video's id goes: the upload script fills them in for videos
    it creates, so it never spells out a route itself."""
    return {name: url_for(endpoint, video_id=0).replace("/0", "/{id}", 1)
            for name, endpoint in (("video", "api.get_video"), ("row", "studio.video_row"))}


@bp.get("/videos/<int:video_id>/row")
@editor_required
def video_row(video_id: int):
    """One row of the item page's media list, for the script to swap in when it changes."""
    video = video_service.get_video(db(), video_id)
    response = make_response(render_template("studio/_video.html", v=video_json(video)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.after_request
def _studio_csp(response):
    """The studio's own policy, wider than the app's default only where media lives: the
    browser PUTs upload parts straight to the storage (S3 presigned URLs) and previews
    stream from it. Set first, so the app-wide default (setdefault) leaves it alone."""
    storage = runtime().storage
    media = csp_sources(*storage.media_origins())
    uploads = csp_sources(*storage.media_origins(), *storage.upload_origins())
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; img-src {media} data: blob:; media-src {media} blob:; "
        f"connect-src {uploads}; worker-src 'self' blob:; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    )
    return response


@bp.post("/items/<int:item_id>/<any(publish, unpublish):action>")
@editor_required
def change_status(item_id: int, action: str):
    item = item_service.get_item(db(), item_id)
    if ButtonForm().validate_on_submit():
        if action == "publish":
            item_service.publish_item(db(), item)
            flash(_("Published: visitors can open this item now."), "ok")
        else:
            item_service.unpublish_item(db(), item)
            flash(_("Unpublished: visitors now see 'not found'."), "ok")
        db().commit()
    return redirect(url_for("studio.item", item_id=item.id))


@bp.get("/items/<int:item_id>/preview")
@editor_required
def preview(item_id: int):
    item = item_service.get_item(db(), item_id)
    language = normalize_language(request.args.get("lang")) or item.default_language
    other_language = "en" if language == "zh" else "zh"
    switch_url = url_for("studio.preview", item_id=item.id, lang=other_language)
    response = preview_response(
        render_item_html(item, language, switch_url=switch_url, is_preview=True))
    response.headers["Content-Language"] = language
    return response


def preview_response(html: str):
    """A preview: the public page's CSP, never cached."""
    response = make_response(html)
    response.headers["Content-Security-Policy"] = public_csp()
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/items/<int:item_id>/codes")
@editor_required
def new_code(item_id: int):
    item = item_service.get_item(db(), item_id)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            code = code_service.issue_code(db(), item, label=form.label.data or "")
        except Invalid as error:
            flash(error.message, "error")
        else:
            db().commit()
            flash(_("New code %(code)s created.", code=code.code), "ok")
    else:
        flash(_("The label is too long."), "error")
    return redirect(url_for("studio.item", item_id=item.id) + "#codes")


@bp.get("/codes/<value>/qr.<any(svg, png, pdf):extension>")
@editor_required
def code_qr(value: str, extension: str):
    return qr_download(value, extension)
