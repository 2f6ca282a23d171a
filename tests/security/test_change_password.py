"""Attack 4 of issue 10: changePassword checks the current password under the same atomic
per-user throttle as sign-in, so a stolen token cannot be used to guess the password."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from tests.support.api import PASSWORD, bearer, register

GUESSES = 25


async def _change(
    client: httpx.AsyncClient, headers: dict[str, str], current: str
) -> httpx.Response:
    body = {"currentPassword": current, "newPassword": "a brand new password"}
    return await client.put("/users/me/password", json=body, headers=headers)


async def test_concurrent_wrong_current_passwords_are_judged_at_most_limit_times(
    client, server, settings
):
    registered = await register(client)
    limits = httpx.Limits(max_connections=GUESSES)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as burst:
        answers = await asyncio.gather(
            *(_change(burst, registered["headers"], f"guess {n}") for n in range(GUESSES))
        )
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses[403] <= settings.login_max_failures, statuses
    assert statuses[403] + statuses[429] == GUESSES, statuses
    limited = next(answer for answer in answers if answer.status_code == 429)
    assert limited.json()["error"] == "RATE_LIMITED"
    assert 0 < int(limited.headers["Retry-After"]) <= settings.login_window_seconds
    # Even the right password waits out the window now; the old token still works.
    right = await _change(client, registered["headers"], PASSWORD)
    assert right.status_code == 429
    assert (await client.get("/users/me", headers=registered["headers"])).status_code == 200


async def test_a_success_resets_the_count(client, settings):
    registered = await register(client)
    headers = registered["headers"]
    for n in range(settings.login_max_failures - 1):
        assert (await _change(client, headers, f"guess {n}")).status_code == 403
    changed = await _change(client, headers, PASSWORD)
    assert changed.status_code == 200
    headers = bearer(changed.json()["token"])
    for n in range(settings.login_max_failures - 1):
        assert (await _change(client, headers, f"guess {n}")).status_code == 403
    assert (await _change(client, headers, "a brand new password")).status_code == 200


async def test_over_graphql_the_refusal_is_coded_with_its_delay(client, settings):
    registered = await register(client)
    mutation = (
        "mutation($c: String!) { changePassword(input: {currentPassword: $c, "
        'newPassword: "a brand new password"}) { token } }'
    )
    for n in range(settings.login_max_failures + 1):
        response = await client.post(
            "/graphql",
            json={"query": mutation, "variables": {"c": f"guess {n}"}},
            headers=registered["headers"],
        )
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 0 < error["extensions"]["retryAfter"] <= settings.login_window_seconds
