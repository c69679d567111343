from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from motpub.codes.models.code import Code
from motpub.items.models import Item, ItemStatus
from motpub.codes.services.codes import resolve_code
from motpub.exhibitions.services.exhibitions import (
    ExhibitionInput, create_exhibition, issue_exhibition_code)
from motpub.inputs import parse


def make_exhibition(session, slug="bronzes"):
    return create_exhibition(session, parse(ExhibitionInput, {
        "slug": slug, "title": {"zh": "青铜时代"}}))


def test_a_code_opens_exactly_one_item_or_exhibition(session):
    exhibition = make_exhibition(session)
    item = Item(slug="ding", status=ItemStatus.DRAFT, title={"zh": "鼎"})
    session.add(item)
    session.flush()
    session.add(Code(code="both0000", item_id=item.id, exhibition_id=exhibition.id))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    session.add(Code(code="neither0"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_entrance_code_resolves_to_its_exhibition_until_disabled(session):
    exhibition = make_exhibition(session)
    code = issue_exhibition_code(session, exhibition, label="Entrance")
    session.commit()
    target = resolve_code(session, code.code)
    assert (target.code_id, target.exhibition_id, target.exhibition_slug) == (
        code.id, exhibition.id, "bronzes")
    assert target.item_id is None and not target.is_orphan
    assert resolve_code(session, "unknown0") is None
    code.is_enabled = False
    session.commit()
    assert resolve_code(session, code.code).is_orphan


def test_deleting_an_exhibition_deletes_its_entrance_codes(session):
    exhibition = make_exhibition(session)
    value = issue_exhibition_code(session, exhibition).code
    session.commit()
    session.delete(exhibition)
    session.commit()
    assert session.query(Code).filter_by(code=value).count() == 0
