"""Codes: the short, random, printed keys that open an item's page."""

from __future__ import annotations

import secrets

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from motpub.domain import Code, Item, ItemStatus
from motpub.domain.code import CODE_ALPHABET, CODE_LENGTH
from motpub.services.errors import Invalid, NotFound
from motpub.services.pages import Target

MAX_LABEL_LENGTH = 200


def code_url(public_url: str, code: str) -> str:
    """The URL a QR encodes. The base comes from configuration, never from a request."""
    return f"{public_url}/s/{code}"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def issue_code(session: Session, item: Item, *, label: str = "") -> Code:
    label = (label or "").strip()
    if len(label) > MAX_LABEL_LENGTH:
        raise Invalid(f"label is longer than {MAX_LABEL_LENGTH} characters", field="label")
    # 31^8 codes: a collision is rare enough that a few retries settle it.
    for _ in range(5):
        value = new_code()
        if session.scalar(select(Code.id).where(Code.code == value)) is None:
            break
    code = Code(code=value, item=item, label=label)
    session.add(code)
    session.flush()
    return code


def get_code(session: Session, value: str) -> Code:
    code = session.scalar(select(Code).where(Code.code == value))
    if code is None:
        raise NotFound(f"no code {value!r}")
    return code


# Built once: the scan page runs it on every request, and building a select costs more than
# running it on a warm connection.
_RESOLVE_CODE = (
    select(Code.id, Item.id, Item.revision, Item.default_language)
    .join(Item, Item.id == Code.item_id)
    .where(Code.code == bindparam("value"), Code.is_enabled.is_(True),
           Item.status == ItemStatus.PUBLISHED)
)


def resolve_code(connection: Connection | Session, value: str) -> Target | None:
    """The published item an enabled code opens, or None for anything a visitor may not see.

    One indexed read; it runs on a Core connection as well as on a session.
    """
    if len(value) > 32:
        return None
    row = connection.execute(_RESOLVE_CODE, {"value": value}).first()
    return Target(*row) if row else None
