from __future__ import annotations

import hashlib

import pytest

from motpub.accounts.models import ApiToken
from motpub.errors import Conflict, NotFound
from motpub.accounts.services import (
    create_token, create_user, list_tokens, revoke_token, user_for_token)
from tests.support import PASSWORD


def test_a_prefix_two_tokens_share_revokes_neither_and_asks_for_the_whole_token(session):
    user = create_user(session, email="ed@example.org", password=PASSWORD, role="editor")
    for secret in ("first", "second"):
        session.add(ApiToken(user=user, prefix="mpt_sameSame",
                             token_hash=hashlib.sha256(secret.encode()).hexdigest()))
    session.flush()
    with pytest.raises(Conflict):
        revoke_token(session, "mpt_sameSame")
    assert all(token.revoked_at is None for token in list_tokens(session, user))


def test_a_token_made_before_prefixes_is_listed_without_one_and_revoked_whole(session):
    user = create_user(session, email="ed@example.org", password=PASSWORD, role="editor")
    old = "mpt_" + "o" * 43
    session.add(ApiToken(user=user, token_hash=hashlib.sha256(old.encode()).hexdigest()))
    new = create_token(session, user)
    assert [token.prefix for token in list_tokens(session, user)] == [new[:12], None]
    with pytest.raises(NotFound):
        revoke_token(session, old[:12])
    revoke_token(session, old)
    assert user_for_token(session, old) is None and user_for_token(session, new) is user
