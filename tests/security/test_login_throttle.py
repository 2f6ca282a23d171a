"""Attack 2 of issue 10: sign-in limits hold under concurrency (each attempt is counted before
its password is judged), and a lockout that anyone can cause does not lock the account's owner
out of an address they signed in from before."""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest

from tests.security.addresses import client_from
from tests.support.api import register
from tests.support.live_server import LiveServer

GUESSES = 60
OWNER_ADDRESS = "198.51.100.7"
ATTACKER_ADDRESS = "203.0.113.9"
STRANGER_ADDRESS = "192.0.2.44"

ClientAt = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_at(server: LiveServer) -> ClientAt:
    return functools.partial(client_from, server.app)


async def _login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/auth/login", json={"username": username, "password": password})


async def test_concurrent_wrong_guesses_for_one_user_are_judged_at_most_limit_times(
    client, server, settings
):
    registered = await register(client)
    username = registered["user"]["username"]
    limits = httpx.Limits(max_connections=GUESSES)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as burst:
        answers = await asyncio.gather(
            *(_login(burst, username, f"wrong guess {n}") for n in range(GUESSES))
        )
    statuses = Counter(answer.status_code for answer in answers)
    # A 401 is a judged guess (bcrypt ran); a 429 was refused before any hashing.
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[401] <= settings.login_max_failures, statuses
    assert statuses[429] >= GUESSES - settings.login_max_failures, statuses
    for answer in answers:
        if answer.status_code == 429:
            assert answer.json()["error"] == "RATE_LIMITED"
            assert 0 < int(answer.headers["Retry-After"]) <= settings.login_window_seconds
    right = await _login(client, username, registered["account"]["password"])
    assert right.status_code == 429


async def test_concurrent_guesses_for_many_users_from_one_address_are_limited(
    client, server, settings
):
    from infra.security.throttle import ADDRESS_ALLOWANCE_FACTOR

    allowed = settings.login_max_failures * ADDRESS_ALLOWANCE_FACTOR
    attempts = allowed + 20
    limits = httpx.Limits(max_connections=attempts)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as burst:
        answers = await asyncio.gather(
            *(_login(burst, f"guess{n}", "wrong password") for n in range(attempts))
        )
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses[401] <= allowed, statuses
    assert statuses[401] + statuses[429] == attempts, statuses


async def test_anyone_can_lock_a_username_out_of_unknown_addresses(
    client, client_at: ClientAt, settings
):
    registered = await register(client)
    username, password = registered["user"]["username"], registered["account"]["password"]
    async with client_at(ATTACKER_ADDRESS) as attacker:
        for n in range(settings.login_max_failures):
            assert (await _login(attacker, username, f"guess {n}")).status_code == 401
        assert (await _login(attacker, username, password)).status_code == 429
    async with client_at(STRANGER_ADDRESS) as stranger:
        # A first sign-in from a new address waits out the window like everyone else.
        assert (await _login(stranger, username, password)).status_code == 429


async def test_the_owner_still_signs_in_from_an_address_known_for_them(
    client, client_at: ClientAt, settings
):
    registered = await register(client)
    username, password = registered["user"]["username"], registered["account"]["password"]
    async with client_at(OWNER_ADDRESS) as owner:
        assert (await _login(owner, username, password)).status_code == 200
    async with client_at(ATTACKER_ADDRESS) as attacker:
        for n in range(settings.login_max_failures + 5):
            await _login(attacker, username, f"guess {n}")
        assert (await _login(attacker, username, password)).status_code == 429
    async with client_at(OWNER_ADDRESS) as owner:
        signed_in = await _login(owner, username, password)
        assert signed_in.status_code == 200, signed_in.text


async def test_a_known_address_has_a_limit_of_its_own(client, client_at: ClientAt, settings):
    registered = await register(client)
    username, password = registered["user"]["username"], registered["account"]["password"]
    async with client_at(OWNER_ADDRESS) as known:
        assert (await _login(known, username, password)).status_code == 200
        for n in range(settings.login_max_failures):
            assert (await _login(known, username, f"guess {n}")).status_code == 401
        assert (await _login(known, username, password)).status_code == 429


async def test_a_success_gives_back_its_attempt_to_the_address(client, settings):
    """Many people signing in correctly from one address (an office) never reach its limit."""
    from infra.security.throttle import ADDRESS_ALLOWANCE_FACTOR

    registered = await register(client)
    username, password = registered["user"]["username"], registered["account"]["password"]
    for _ in range(settings.login_max_failures * ADDRESS_ALLOWANCE_FACTOR + 5):
        assert (await _login(client, username, password)).status_code == 200


async def test_an_ipv6_network_counts_as_one_address(client, server, settings):
    """One subscriber holds a whole /64: a fresh address per guess must not reset the count."""
    from infra.security.throttle import ADDRESS_ALLOWANCE_FACTOR

    allowed = settings.login_max_failures * ADDRESS_ALLOWANCE_FACTOR
    statuses: Counter[int] = Counter()
    for n in range(allowed + 5):
        async with client_from(server.app, f"2001:db8:1:2::{n + 1:x}") as guesser:
            statuses[(await _login(guesser, f"guess{n}", "wrong password")).status_code] += 1
    assert statuses == {401: allowed, 429: 5}
