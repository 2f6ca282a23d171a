"""POST /auth/login, written from spec/rest-api.md."""

from __future__ import annotations

from tests.support.api import new_account, register


async def test_login_answers_token_and_user(client):
    registered = await register(client)
    account = registered["account"]
    response = await client.post(
        "/auth/login", json={"username": account["username"], "password": account["password"]}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == registered["user"]
    me = await client.get("/users/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200


async def test_the_username_is_matched_whatever_its_case(client):
    registered = await register(client, username="CamelCase")
    response = await client.post(
        "/auth/login", json={"username": "camelcase", "password": registered["account"]["password"]}
    )
    assert response.status_code == 200


async def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client):
    registered = await register(client)
    wrong = await client.post(
        "/auth/login", json={"username": registered["user"]["username"], "password": "wrong pass"}
    )
    unknown = await client.post(
        "/auth/login", json={"username": "nobody-here", "password": "wrong pass"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {
            "error": "UNAUTHENTICATED",
            "message": "Invalid username or password",
        }
    )


async def test_a_password_longer_than_72_bytes_counts_every_byte(client):
    long_password = "é" * 40 + "tail-one"  # 88 bytes in UTF-8
    registered = await register(client, password=long_password)
    username = registered["user"]["username"]
    ok = await client.post("/auth/login", json={"username": username, "password": long_password})
    assert ok.status_code == 200
    # Same first 72 bytes, different end: bcrypt alone would have accepted it.
    same_prefix = "é" * 40 + "tail-two"
    refused = await client.post("/auth/login", json={"username": username, "password": same_prefix})
    assert refused.status_code == 401


async def test_missing_and_mistyped_fields_are_422(client):
    response = await client.post("/auth/login", json={"username": ["x"]})
    assert response.status_code == 422
    assert response.json()["fields"] == {"username": "must be a string", "password": "is required"}


async def test_too_many_failures_for_one_user_are_429_even_with_the_right_password(
    client, settings
):
    registered = await register(client)
    credentials = {"username": registered["user"]["username"], "password": "wrong password"}
    for _ in range(settings.login_max_failures):
        assert (await client.post("/auth/login", json=credentials)).status_code == 401
    credentials["password"] = registered["account"]["password"]
    limited = await client.post("/auth/login", json=credentials)
    assert limited.status_code == 429
    assert limited.json()["error"] == "RATE_LIMITED"
    assert 0 < int(limited.headers["Retry-After"]) <= settings.login_window_seconds
    # Other users are not affected.
    other = await register(client)
    response = await client.post(
        "/auth/login",
        json={"username": other["user"]["username"], "password": other["account"]["password"]},
    )
    assert response.status_code == 200


async def test_one_address_trying_many_usernames_is_limited_too(client, settings):
    from infra.security.throttle import ADDRESS_ALLOWANCE_FACTOR

    attempts = settings.login_max_failures * ADDRESS_ALLOWANCE_FACTOR
    for n in range(attempts):
        response = await client.post(
            "/auth/login", json={"username": f"guess{n}", "password": "wrong password"}
        )
        assert response.status_code == 401
    response = await client.post(
        "/auth/login", json={"username": "another-guess", "password": "wrong password"}
    )
    assert response.status_code == 429


async def test_a_success_resets_the_users_count(client, settings):
    registered = await register(client)
    username, password = registered["user"]["username"], registered["account"]["password"]
    for _ in range(settings.login_max_failures - 1):
        await client.post("/auth/login", json={"username": username, "password": "nope nope"})
    assert (
        await client.post("/auth/login", json={"username": username, "password": password})
    ).status_code == 200
    for _ in range(settings.login_max_failures - 1):
        await client.post("/auth/login", json={"username": username, "password": "nope nope"})
    assert (
        await client.post("/auth/login", json={"username": username, "password": password})
    ).status_code == 200


async def test_an_absurdly_long_username_is_just_a_failed_login(client):
    response = await client.post(
        "/auth/login", json={"username": "u" * 10_000, "password": new_account()["password"]}
    )
    assert response.status_code == 401
