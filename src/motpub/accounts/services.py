"""Users, passwords, sessions and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from motpub.accounts.models import ApiToken, Role, User
from motpub.orm import utcnow
from motpub.errors import Conflict, Invalid, NotFound

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
# zxcvbn's guess of how hard a password is to guess, 0 to 4: 3 is "safely unguessable"
# against an online attack; below it are common passwords, words, dates and repeats.
MIN_PASSWORD_SCORE = 3
TOKEN_PREFIX_LENGTH = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()
# Verified against when the email is unknown, so a miss costs as much time as a hit.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def create_user(session: Session, *, email: str, password: str, role: Role | str) -> User:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise Invalid(f"not an email address: {email!r}", field="email")
    try:
        role = Role(role)
    except ValueError:
        raise Invalid(f"unknown role {role!r}; use admin, editor or analyst",
                      field="role") from None
    check_password(password, email=email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email} exists", field="email")
    user = User(email=email, password_hash=_hasher.hash(password), role=role)
    session.add(user)
    session.flush()
    return user


class WeakPassword(Invalid):
    """A password the policy refuses; `reason` says which rule, for a translated message."""

    code = "weak_password"

    def __init__(self, message: str, *, reason: str):
        super().__init__(message, field="password")
        self.reason = reason


def check_password(password: str, *, email: str = "") -> None:
    """Refuse a password that is short, blank or easy to guess (common passwords, words,
    names, keyboard patterns, dates, repeats, or the user's own email)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"the password must have at least {MIN_PASSWORD_LENGTH} characters",
                           reason="short")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"the password must have at most {MAX_PASSWORD_LENGTH} characters",
                           reason="long")
    if not password.strip():
        raise WeakPassword("the password must not be only spaces", reason="blank")
    # Imported here: its dictionaries take a moment to load, and only setting a password
    # needs them. It looks at the first 72 characters; a longer password is not weaker.
    from zxcvbn import zxcvbn

    inputs = [email, email.partition("@")[0], "motpub"] if email else ["motpub"]
    if zxcvbn(password[:72], user_inputs=inputs)["score"] < MIN_PASSWORD_SCORE:
        raise WeakPassword("the password is too easy to guess: it is a common password or "
                           "close to one; use a few unrelated words", reason="guessable")


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def find_user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user with email {email}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def end_sessions(user: User) -> None:
    """Every studio session of the user stops working: its cookie carries the old version."""
    user.session_version += 1


def set_password(session: Session, user: User, password: str) -> None:
    """A new password; every session of the user ends (whoever knew the old one is out)."""
    check_password(password, email=user.email)
    user.password_hash = _hasher.hash(password)
    end_sessions(user)
    session.flush()


def change_own_password(session: Session, user: User, *, current: str, new: str) -> None:
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise Invalid("the current password is wrong", field="current_password") from None
    set_password(session, user, new)


def _other_active_admins(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN, User.is_active.is_(True), User.id != user.id)) or 0


def set_role(session: Session, user: User, role: Role | str) -> None:
    try:
        role = Role(role)
    except ValueError:
        raise Invalid(f"unknown role {role!r}; use admin, editor or analyst",
                      field="role") from None
    if user.role is Role.ADMIN and role is not Role.ADMIN and user.is_active \
            and not _other_active_admins(session, user):
        raise Conflict("the last active admin keeps the admin role", field="role")
    user.role = role
    session.flush()


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivate (sessions end, tokens stop working, login is refused) or activate again."""
    if not active and user.is_active and user.role is Role.ADMIN \
            and not _other_active_admins(session, user):
        raise Conflict("the last active admin cannot be deactivated")
    if not active:
        end_sessions(user)
    user.is_active = active
    session.flush()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User) -> str:
    """Return a new token; only its hash and its first characters are stored, so this is
    the one time it is seen."""
    token = "mpt_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, token_hash=_token_hash(token),
                         prefix=token[:TOKEN_PREFIX_LENGTH]))
    session.flush()
    return token


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def find_token(session: Session, token_or_prefix: str) -> ApiToken:
    """A token by its whole value, or by the prefix that lists show (unambiguous only)."""
    value = token_or_prefix.strip()
    api_token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(value)))
    if api_token is not None:
        return api_token
    # Only a prefix as listed: a longer value that is not a token is a typo, not a prefix.
    if len(value) == TOKEN_PREFIX_LENGTH:
        matches = session.scalars(
            select(ApiToken).where(ApiToken.prefix == value).limit(2)).all()
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise Conflict("more than one token has this prefix; give the whole token")
    raise NotFound("no such token")


def user_for_token(session: Session, token: str) -> User | None:
    api_token = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None)
        )
    )
    if api_token is None or not api_token.user.is_active:
        return None
    return api_token.user


def mark_token_used(session: Session, token: str, *, every_s: float = 300) -> None:
    """Record when a token was last used, at most every `every_s`: a write on every API
    call would make each read a write transaction."""
    now = utcnow()
    session.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == _token_hash(token),
               or_(ApiToken.last_used_at.is_(None),
                   ApiToken.last_used_at < now - dt.timedelta(seconds=every_s)))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def revoke_token(session: Session, token_or_prefix: str) -> ApiToken:
    """Revoke a token given whole or by its prefix; revoking it again changes nothing."""
    api_token = find_token(session, token_or_prefix)
    if api_token.revoked_at is None:
        api_token.revoked_at = utcnow()
    session.flush()
    return api_token


def revoke_user_token(session: Session, user: User, token_id: int) -> ApiToken:
    api_token = session.get(ApiToken, token_id)
    if api_token is None or api_token.user_id != user.id:
        raise NotFound("no such token")
    if api_token.revoked_at is None:
        api_token.revoked_at = utcnow()
    session.flush()
    return api_token
