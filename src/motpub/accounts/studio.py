"""The studio's accounts: admins manage users and their API tokens; everyone changes their
own password. Every change is a POST with the page's CSRF token."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from motpub.accounts.access import admin_required, safe_next
from motpub.accounts.models import User
from motpub.accounts import services as user_service
from motpub.errors import Conflict, ServiceError
from motpub.accounts.services import authenticate, end_sessions
from motpub.i18n import normalize_language
from motpub.web.audiences import studio_blueprint
from motpub.web.context import attempt, db, settings
from motpub.accounts.sessions import SessionUser
from motpub.web.extensions import LANGUAGE_COOKIE, limiter
from motpub.web.forms import ButtonForm
from motpub.accounts.forms import ChangePasswordForm, LoginForm, RoleForm, SetPasswordForm, UserForm


bp = studio_blueprint("accounts_studio", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: settings().login_rate_limit, methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db(), email=form.email.data, password=form.password.data)
        if user is not None:
            login_user(SessionUser(user))
            # Analysts may not open the items list; their home is the ops dashboard.
            home = "items_studio.items" if user.role.can_edit else "analytics_ops.dashboard"
            return redirect(safe_next(request.args.get("next"), home=home))
        flash(_("Wrong email or password."), "error")
    return render_template("studio/login.html", form=form), \
        422 if request.method == "POST" else 200


@bp.post("/logout")
@login_required
def logout():
    if ButtonForm().validate_on_submit():
        # The version moves on, so a copy of this session's cookie stops working too.
        end_sessions(current_user.user)
        logout_user()
    return redirect(url_for("accounts_studio.login"))


@bp.get("/language/<language>")
def choose_language(language: str):
    response = redirect(safe_next(request.args.get("next")))
    if normalize_language(language):
        response.set_cookie(LANGUAGE_COOKIE, normalize_language(language),
                            max_age=365 * 86400, samesite="Lax", httponly=True,
                            secure=settings().is_https)
    return response


def account_error(error: ServiceError) -> str:
    """The error in the interface's language, for the errors a person can make here."""
    if isinstance(error, user_service.WeakPassword):
        return {
            "short": _("The password must have at least %(count)d characters.",
                       count=user_service.MIN_PASSWORD_LENGTH),
            "long": _("The password must have at most %(count)d characters.",
                      count=user_service.MAX_PASSWORD_LENGTH),
            "blank": _("The password must not be only spaces."),
            "guessable": _("This password is too easy to guess: it is a common password or "
                           "close to one. Use a few unrelated words."),
        }[error.reason]
    if error.field == "current_password":
        return _("The current password is wrong.")
    if isinstance(error, Conflict) and error.field == "email":
        return _("A user with this email exists.")
    if isinstance(error, Conflict):
        return _("There must be at least one active admin.")
    return error.message


def _change(change) -> str | None:
    """Run `change`; on a refusal (undone) return the error to show."""
    result = attempt(change)
    return account_error(result) if isinstance(result, ServiceError) else None


def _keep_own_session(user: User) -> None:
    """A new password ends every session of its user, but not the one that set it."""
    if user.id == current_user.id and user.is_active:
        login_user(SessionUser(user))


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users():
    form = UserForm()
    if form.validate_on_submit():
        if error := _change(lambda: user_service.create_user(
                db(), email=form.email.data, password=form.password.data, role=form.role.data)):
            form.form_errors.append(error)
        else:
            flash(_("User created."), "ok")
            return redirect(url_for("accounts_studio.users"))
    return render_template("studio/users.html", form=form,
                           users=user_service.list_users(db())), \
        422 if form.errors or form.form_errors else 200


def _user_page(user: User, *, role_form=None, password_form=None, status: int = 200):
    if role_form is None:
        role_form = RoleForm(formdata=None, role=user.role.value)
    return render_template(
        "studio/user.html", user=user, role_form=role_form,
        password_form=password_form or SetPasswordForm(formdata=None), button=ButtonForm(),
        tokens=user_service.list_tokens(db(), user)), status


@bp.get("/users/<int:user_id>")
@admin_required
def user(user_id: int):
    return _user_page(user_service.get_user(db(), user_id))


@bp.post("/users/<int:user_id>/role")
@admin_required
def user_role(user_id: int):
    user = user_service.get_user(db(), user_id)
    form = RoleForm()
    if form.validate_on_submit():
        if error := _change(lambda: user_service.set_role(db(), user, form.role.data)):
            form.form_errors.append(error)
        else:
            flash(_("Role changed."), "ok")
            return redirect(url_for("accounts_studio.user", user_id=user.id))
    return _user_page(user, role_form=form, status=422)


@bp.post("/users/<int:user_id>/<any(activate, deactivate):action>")
@admin_required
def user_active(user_id: int, action: str):
    user = user_service.get_user(db(), user_id)
    if ButtonForm().validate_on_submit():
        if error := _change(lambda: user_service.set_active(db(), user, action == "activate")):
            flash(error, "error")
        else:
            flash(_("User activated.") if action == "activate"
                  else _("User deactivated: their sessions and API tokens no longer work."),
                  "ok")
    return redirect(url_for("accounts_studio.user", user_id=user.id))


@bp.post("/users/<int:user_id>/password")
@admin_required
def user_password(user_id: int):
    user = user_service.get_user(db(), user_id)
    form = SetPasswordForm()
    if form.validate_on_submit():
        if error := _change(lambda: user_service.set_password(db(), user, form.password.data)):
            form.form_errors.append(error)
        else:
            _keep_own_session(user)
            flash(_("Password set: the user's other sessions have ended."), "ok")
            return redirect(url_for("accounts_studio.user", user_id=user.id))
    return _user_page(user, password_form=form, status=422)


@bp.post("/users/<int:user_id>/tokens/<int:token_id>/revoke")
@admin_required
def revoke_token(user_id: int, token_id: int):
    user = user_service.get_user(db(), user_id)
    if ButtonForm().validate_on_submit():
        api_token = user_service.revoke_user_token(db(), user, token_id)
        flash(_("Token %(prefix)s revoked.", prefix=api_token.prefix or ""), "ok")
    return redirect(url_for("accounts_studio.user", user_id=user.id) + "#tokens")


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user.user
        if error := _change(lambda: user_service.change_own_password(
                db(), user, current=form.current_password.data, new=form.password.data)):
            form.form_errors.append(error)
        else:
            _keep_own_session(user)
            flash(_("Password changed: your other sessions have ended."), "ok")
            return redirect(url_for("accounts_studio.password"))
    return render_template("studio/password.html", form=form), \
        422 if request.method == "POST" else 200
