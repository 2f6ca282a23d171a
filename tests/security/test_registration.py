"""Attack 3 of issue 10: registration is throttled per address (and invite codes tried per
address), counted before any password is hashed, and a wrong invite code answers the same
whether the username or email asked for is taken or free."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from infra.settings.values import Registration
from models import InviteCode, User
from tests.security.addresses import client_from
from tests.support.api import new_account, register
from tests.support.live_server import LiveServer

MADE_UP_CODE = "made-up-code-0123"


async def test_concurrent_registrations_from_one_address_are_limited(client, server, settings):
    allowed = settings.registration_max_per_address
    attempts = allowed + 15
    limits = httpx.Limits(max_connections=attempts)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as burst:
        answers = await asyncio.gather(
            *(burst.post("/auth/register", json=new_account()) for _ in range(attempts))
        )
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses[201] <= allowed, statuses
    assert statuses[201] + statuses[429] == attempts, statuses
    assert await User.all().count() == statuses[201]
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.json()["error"] == "RATE_LIMITED"
    assert 0 < int(refused.headers["Retry-After"]) <= settings.login_window_seconds


async def test_made_up_invite_codes_from_one_address_are_limited(client, app_with, settings):
    attempts = settings.login_max_failures + 10
    async with await app_with(registration=Registration.INVITE) as invite_only:
        answers = await asyncio.gather(
            *(
                invite_only.post("/auth/register", json=new_account(inviteCode=f"guess-{n}"))
                for n in range(attempts)
            )
        )
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses[422] <= settings.login_max_failures, statuses
    assert statuses[422] + statuses[429] == attempts, statuses
    assert await User.all().count() == 0


async def test_a_wrong_invite_answers_the_same_for_taken_and_free_names(client, app_with):
    taken = (await register(client))["account"]
    async with await app_with(registration=Registration.INVITE) as invite_only:
        answers = [
            await invite_only.post("/auth/register", json=new_account(inviteCode=MADE_UP_CODE)),
            await invite_only.post(
                "/auth/register",
                json=new_account(username=taken["username"], inviteCode=MADE_UP_CODE),
            ),
            await invite_only.post(
                "/auth/register",
                json=new_account(email=taken["email"].upper(), inviteCode=MADE_UP_CODE),
            ),
        ]
    assert {answer.status_code for answer in answers} == {422}, [a.text for a in answers]
    assert all(answer.json() == answers[0].json() for answer in answers)
    assert answers[0].json() == {
        "error": "VALIDATION_FAILED",
        "message": "inviteCode: is invalid, used up or expired",
        "fields": {"inviteCode": "is invalid, used up or expired"},
    }


async def test_a_used_up_code_answers_the_same_for_taken_and_free_names(client, app_with):
    from datetime import UTC, datetime, timedelta

    taken = (await register(client))["account"]
    await InviteCode.create(
        code="used-up", max_uses=1, uses=1, expires_at=datetime.now(UTC) + timedelta(hours=1)
    )
    async with await app_with(registration=Registration.INVITE) as invite_only:
        free = await invite_only.post("/auth/register", json=new_account(inviteCode="used-up"))
        clash = await invite_only.post(
            "/auth/register", json=new_account(username=taken["username"], inviteCode="used-up")
        )
    assert free.status_code == clash.status_code == 422
    assert free.json() == clash.json()


async def test_a_valid_code_with_a_taken_name_still_names_it(client, app_with):
    from datetime import UTC, datetime, timedelta

    taken = (await register(client))["account"]
    await InviteCode.create(code="real-code", expires_at=datetime.now(UTC) + timedelta(hours=1))
    async with await app_with(registration=Registration.INVITE) as invite_only:
        clash = await invite_only.post(
            "/auth/register", json=new_account(username=taken["username"], inviteCode="real-code")
        )
        assert clash.status_code == 409
        assert set(clash.json()["fields"]) == {"username"}
        # The clash spent no use of the code.
        joined = await invite_only.post("/auth/register", json=new_account(inviteCode="real-code"))
        assert joined.status_code == 201, joined.text


async def test_open_mode_with_a_wrong_code_answers_the_same_for_taken_and_free(client):
    taken = (await register(client))["account"]
    free = await client.post("/auth/register", json=new_account(inviteCode=MADE_UP_CODE))
    clash = await client.post(
        "/auth/register", json=new_account(username=taken["username"], inviteCode=MADE_UP_CODE)
    )
    assert free.status_code == clash.status_code == 422
    assert free.json() == clash.json()


async def test_the_registration_limit_is_per_address(client, server: LiveServer, settings):
    async with client_from(server.app, "192.0.2.1") as busy:
        for _ in range(settings.registration_max_per_address):
            assert (await busy.post("/auth/register", json=new_account())).status_code == 201
        assert (await busy.post("/auth/register", json=new_account())).status_code == 429
    async with client_from(server.app, "192.0.2.2") as other:
        assert (await other.post("/auth/register", json=new_account())).status_code == 201
