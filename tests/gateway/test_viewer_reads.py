"""Who is signed in, read fast and still exactly: a verified token is remembered but its expiry
is checked on every request, and the user's row is read on the event loop (SQLite) only where
that sees what a transaction sees."""

from __future__ import annotations

import asyncio
import time

import pytest
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from infra.security.tokens import issue_token
from models import User
from resolvers.viewer_lookup import user_by_id
from tests.conftest import TEST_SECRET
from tests.support.api import bearer, register


class _Rollback(Exception):
    pass


async def _user(registered: dict) -> User:
    return await User.get(username=registered["user"]["username"])


async def test_a_token_verified_before_it_expired_is_refused_after(client):
    user = await _user(await register(client))
    token = issue_token(TEST_SECRET, user.id, user.token_version, ttl_seconds=1)
    expires = int(time.time()) + 1
    assert (await client.get("/users/me", headers=bearer(token))).status_code == 200
    await asyncio.sleep(max(0.0, expires - time.time()) + 0.1)
    refused = await client.get("/users/me", headers=bearer(token))
    assert refused.status_code == 401
    assert "expired" in refused.json()["message"]


async def test_a_changed_token_version_is_seen_by_the_next_request(client):
    registered = await register(client)
    assert (await client.get("/users/me", headers=registered["headers"])).status_code == 200
    await User.filter(id=(await _user(registered)).id).update(token_version=F("token_version") + 1)
    refused = await client.get("/users/me", headers=registered["headers"])
    assert refused.status_code == 401
    assert "revoked" in refused.json()["message"]


async def test_the_row_read_inside_a_transaction_is_the_transactions(client):
    user = await _user(await register(client))
    with pytest.raises(_Rollback):
        async with in_transaction():
            await User.filter(id=user.id).update(name="Renamed, not committed")
            seen = await user_by_id(user.id)
            assert seen is not None and seen.name == "Renamed, not committed"
            raise _Rollback
    after = await user_by_id(user.id)
    assert after is not None and after.name == user.name


async def test_the_row_read_outside_is_what_was_committed_last(client):
    user = await _user(await register(client))
    assert (await user_by_id(user.id)) is not None
    await User.filter(id=user.id).update(name="Committed just now")
    seen = await user_by_id(user.id)
    assert seen is not None and seen.name == "Committed just now"
    assert await user_by_id(user.id + 10_000) is None
