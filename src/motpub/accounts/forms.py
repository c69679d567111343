"""The studio's account forms: sign-in, users and their roles, passwords."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectChoice, SelectField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from motpub.accounts.models import Role
from motpub.web.forms import FlaskForm


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])



class UserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice(role.value, role.value) for role in Role])
    # InputRequired, not DataRequired: a password of spaces reaches the policy, which says why.
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=1024)])



class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(role.value, role.value) for role in Role])



class SetPasswordForm(FlaskForm):
    """A new password, typed twice; the services judge whether it is strong enough."""

    password = PasswordField(_l("New password"),
                             validators=[InputRequired(), Length(max=1024)])
    confirm = PasswordField(_l("New password again"), validators=[
        InputRequired(), EqualTo("password", message=_l("The two new passwords differ."))])



class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=1024)])
