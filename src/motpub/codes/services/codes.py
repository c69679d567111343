"""Codes: the short, random, printed keys that open an item's page.

A code is also a placement: its label says where it is stuck ("Hall 2, case 14"); it can be
disabled, or retargeted to another item without reprinting, and every change is kept.
"""

from __future__ import annotations

import secrets
from typing import Any

from pydantic import ConfigDict, Field, StrictBool
from sqlalchemy import Connection, Select, bindparam, select
from sqlalchemy.orm import Session

from motpub.codes.models.code import Code, CODE_ALPHABET, CODE_LENGTH, CodeChange
from motpub.exhibitions.models import Exhibition, ExhibitionItem
from motpub.items.models import Item, ItemStatus
from motpub.errors import Invalid, NotFound
from motpub.inputs import Id, Input
from motpub.items.services.pages import Target
from motpub.i18n import fallback_language
from motpub.events import CodeRetargeted, emit

MAX_LABEL_LENGTH = 200


def code_url(public_url: str, code: str) -> str:
    """The URL a QR encodes. The base comes from configuration, never from a request."""
    return f"{public_url}/s/{code}"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class CodeLabelInput(Input):
    """The optional body of a code being issued."""

    model_config = ConfigDict(extra="ignore")  # unknown keys were always ignored here
    label: str | None = Field(default="", max_length=MAX_LABEL_LENGTH,
                              description='where the code is stuck, e.g. "Hall 2, case 14"')


def issue_code(session: Session, item: Item | None = None, *,
               exhibition: Exhibition | None = None, label: str = "") -> Code:
    """A new code for an item, or for an exhibition's entrance (its page opens)."""
    label = (label or "").strip()
    if len(label) > MAX_LABEL_LENGTH:
        raise Invalid(f"label is longer than {MAX_LABEL_LENGTH} characters", field="label")
    # 31^8 codes: a collision is rare enough that a few retries settle it.
    for _ in range(5):
        value = new_code()
        if session.scalar(select(Code.id).where(Code.code == value)) is None:
            break
    code = Code(code=value, item=item, exhibition=exhibition, label=label)
    session.add(code)
    session.flush()
    record_change(session, code)
    return code


def record_change(session: Session, code: Code) -> None:
    """Keep the code's placement as it now is, from now on."""
    session.add(CodeChange(code_id=code.id, item_id=code.item_id,
                           exhibition_id=code.exhibition_id, label=code.label,
                           is_enabled=code.is_enabled))


class CodePatch(Input):
    """What an editor may change on a printed code; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")
    item_id: Id | None = Field(default=None, description="retarget to this item")
    label: str | None = Field(default=None, max_length=MAX_LABEL_LENGTH)
    enabled: StrictBool | None = None


def update_code(session: Session, code: Code, data: CodePatch) -> Code:
    changes = data.model_fields_set
    if "item_id" in changes:
        if data.item_id is None:
            raise Invalid("item_id must be an item's id", field="item_id")
        item = session.get(Item, data.item_id)
        if item is None:
            raise Invalid(f"there is no item {data.item_id}", field="item_id")
        if item.id != code.item_id:
            emit(session, CodeRetargeted(code.id, code.code, code.item_id, item.id))
        # An exhibition's entrance code can be turned into an item's code, not the reverse.
        code.item, code.exhibition = item, None
    if "label" in changes:
        code.label = (data.label or "").strip()
    if "enabled" in changes:
        if data.enabled is None:
            raise Invalid("enabled must be true or false", field="enabled")
        code.is_enabled = data.enabled
    session.flush()
    record_change(session, code)
    return code


def history_titles(session: Session,
                   changes: list[CodeChange]) -> dict[tuple[str, int], dict[str, Any]]:
    """The titles, as they are now, of the items and exhibitions a code's history names."""
    titles = {}
    for model, kind, ids in (
            (Item, "item", {change.item_id for change in changes if change.item_id}),
            (Exhibition, "exhibition",
             {change.exhibition_id for change in changes if change.exhibition_id})):
        if ids:
            for row_id, title in session.execute(select(model.id, model.title)
                                                 .where(model.id.in_(ids))):
                titles[(kind, row_id)] = title
    return titles


def codes_query(item_id: int) -> Select[Any]:
    """An item's codes in the order they were issued, for a paged list."""
    return select(Code).where(Code.item_id == item_id).order_by(Code.id)


def history_query(code: Code) -> Select[Any]:
    """The code's placements, newest first, for a paged list."""
    return (select(CodeChange).where(CodeChange.code_id == code.id)
            .order_by(CodeChange.changed_at.desc(), CodeChange.id.desc()))


def code_history(session: Session, code: Code) -> list[CodeChange]:
    """The code's placements, oldest first."""
    return list(session.scalars(select(CodeChange).where(CodeChange.code_id == code.id)
                                .order_by(CodeChange.changed_at, CodeChange.id)))


def get_code(session: Session, value: str) -> Code:
    code = session.scalar(select(Code).where(Code.code == value))
    if code is None:
        raise NotFound(f"no code {value!r}")
    return code


# The exhibition a scan of an item's code is counted in: of the exhibitions showing the item,
# the one that opened last (one without dates last of all).
_ITEM_EXHIBITION = (
    select(ExhibitionItem.exhibition_id)
    .join(Exhibition, Exhibition.id == ExhibitionItem.exhibition_id)
    .where(ExhibitionItem.item_id == Code.item_id)
    .order_by(Exhibition.starts_on.is_(None), Exhibition.starts_on.desc(), Exhibition.id.desc())
    .limit(1)
    .correlate(Code)
    .scalar_subquery()
)

# Built once: the scan page runs it on every request it does not answer from its cache, and
# building a select costs more than running it on a warm connection.
_RESOLVE_CODE = (
    select(Code.id, Code.item_id, Code.is_enabled, Item.revision, Item.default_language,
           Item.status, Code.exhibition_id, Exhibition.slug, _ITEM_EXHIBITION)
    .outerjoin(Item, Item.id == Code.item_id)
    .outerjoin(Exhibition, Exhibition.id == Code.exhibition_id)
    .where(Code.code == bindparam("value"))
)


def resolve_code(connection: Connection | Session, value: str) -> Target | None:
    """Where a scanned code leads, or None for a code that does not exist.

    A disabled code, or one whose item is not published, leads nowhere: an orphan Target,
    which the page answers like an unknown code and analytics count apart. One indexed read;
    it runs on a Core connection as well as on a session.
    """
    if len(value) > 32:
        return None
    row = connection.execute(_RESOLVE_CODE, {"value": value}).first()
    if row is None:
        return None
    (code_id, item_id, is_enabled, revision, default_language, status, entrance_of,
     exhibition_slug, item_exhibition) = row
    if entrance_of is not None:
        return Target(code_id, None, 0, fallback_language(), exhibition_id=entrance_of,
                      exhibition_slug=exhibition_slug, is_orphan=not is_enabled)
    return Target(code_id, item_id, revision, default_language,
                  exhibition_id=item_exhibition,
                  is_orphan=not is_enabled or status != ItemStatus.PUBLISHED)
