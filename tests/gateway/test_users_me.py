"""GET|PATCH /users/me and PUT /users/me/password, written from spec/rest-api.md."""

from __future__ import annotations

import time

import jwt
import pytest

from models import User
from tests.conftest import TEST_SECRET
from tests.support.api import bearer, register


async def test_me_needs_a_token(client):
    response = await client.get("/users/me")
    assert response.status_code == 401
    assert response.json()["error"] == "UNAUTHENTICATED"


def _forged_tokens(user_id: str, good: str) -> dict[str, str]:
    now = int(time.time())
    claims = {"sub": user_id, "ver": 0, "iat": now, "exp": now + 600, "iss": "taskloom"}
    header, payload, signature = good.split(".")
    tampered_payload = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b'"ver":0', b'"ver":1')
    ).decode()
    return {
        "alg none": jwt.encode(claims, key=None, algorithm="none"),
        "wrong secret": jwt.encode(claims, "another-secret-another-secret-another!", "HS256"),
        "expired": jwt.encode({**claims, "exp": now - 10}, TEST_SECRET, "HS256"),
        "no expiry": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, TEST_SECRET),
        "tampered": f"{header}.{tampered_payload}.{signature}",
        "truncated": good[:-5],
        "garbage": "not.a.token",
        "empty subject": jwt.encode({**claims, "sub": ""}, TEST_SECRET, "HS256"),
        "other issuer": jwt.encode({**claims, "iss": "someone"}, TEST_SECRET, "HS256"),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "alg none",
        "wrong secret",
        "expired",
        "no expiry",
        "tampered",
        "truncated",
        "garbage",
        "empty subject",
        "other issuer",
    ],
)
async def test_forged_tokens_are_401(client, kind):
    registered = await register(client)
    from resolvers.ids import decode_id

    _, pk = decode_id(registered["user"]["id"])
    token = _forged_tokens(str(pk), registered["token"])[kind]
    response = await client.get("/users/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["error"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("header", ["Bearer", "Basic abc", "Bearer  x y", "token", "bearer"])
async def test_malformed_authorization_headers_are_401(client, header):
    response = await client.get("/users/me", headers={"Authorization": header})
    assert response.status_code == 401


async def test_a_deleted_users_token_stops_working(client):
    registered = await register(client)
    await User.filter(username=registered["user"]["username"]).delete()
    response = await client.get("/users/me", headers=registered["headers"])
    assert response.status_code == 401


async def test_patch_me_changes_what_is_given_and_keeps_the_rest(client):
    registered = await register(client)
    response = await client.patch(
        "/users/me", json={"name": "  New Name "}, headers=registered["headers"]
    )
    assert response.status_code == 200
    assert response.json() == {**registered["user"], "name": "New Name"}
    response = await client.patch(
        "/users/me", json={"email": "NEW@Example.org"}, headers=registered["headers"]
    )
    assert response.json()["email"] == "new@example.org"
    assert response.json()["name"] == "New Name"
    unchanged = await client.patch("/users/me", json={}, headers=registered["headers"])
    assert unchanged.status_code == 200
    assert unchanged.json() == response.json()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": ""}, {"name"}),
        ({"name": "x" * 101}, {"name"}),
        ({"email": "nope"}, {"email"}),
        ({"name": None}, {"name"}),
        ({"email": 42}, {"email"}),
        ({"username": "rename"}, {"username"}),
        ({"name": "", "email": "bad"}, {"name", "email"}),
    ],
)
async def test_patch_me_refuses_bad_fields(client, body, fields):
    registered = await register(client)
    response = await client.patch("/users/me", json=body, headers=registered["headers"])
    assert response.status_code == 422
    assert set(response.json()["fields"]) == fields
    me = await client.get("/users/me", headers=registered["headers"])
    assert me.json() == registered["user"]


async def test_patch_me_to_a_taken_email_is_409(client):
    first = await register(client)
    second = await register(client)
    response = await client.patch(
        "/users/me", json={"email": first["user"]["email"]}, headers=second["headers"]
    )
    assert response.status_code == 409
    assert response.json()["fields"] == {"email": "is already registered"}
    own = await client.patch(
        "/users/me", json={"email": second["user"]["email"]}, headers=second["headers"]
    )
    assert own.status_code == 200


async def test_patch_me_needs_a_token(client):
    response = await client.patch("/users/me", json={"name": "x"})
    assert response.status_code == 401


async def test_password_change_issues_a_new_token_and_revokes_the_old(client):
    registered = await register(client)
    old_headers = registered["headers"]
    response = await client.put(
        "/users/me/password",
        json={"currentPassword": registered["account"]["password"], "newPassword": "brand new pw"},
        headers=old_headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == registered["user"]
    assert (await client.get("/users/me", headers=old_headers)).status_code == 401
    assert (await client.get("/users/me", headers=bearer(body["token"]))).status_code == 200
    username = registered["user"]["username"]
    old_login = await client.post(
        "/auth/login", json={"username": username, "password": registered["account"]["password"]}
    )
    assert old_login.status_code == 401
    new_login = await client.post(
        "/auth/login", json={"username": username, "password": "brand new pw"}
    )
    assert new_login.status_code == 200


async def test_a_wrong_current_password_is_403_and_changes_nothing(client):
    registered = await register(client)
    response = await client.put(
        "/users/me/password",
        json={"currentPassword": "not my password", "newPassword": "brand new pw"},
        headers=registered["headers"],
    )
    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"
    assert (await client.get("/users/me", headers=registered["headers"])).status_code == 200


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"currentPassword": "x", "newPassword": "short"}, {"newPassword"}),
        ({"newPassword": "long enough"}, {"currentPassword"}),
        ({"currentPassword": 1, "newPassword": 2}, {"currentPassword", "newPassword"}),
    ],
)
async def test_password_change_validation(client, body, fields):
    registered = await register(client)
    response = await client.put("/users/me/password", json=body, headers=registered["headers"])
    assert response.status_code == 422
    assert set(response.json()["fields"]) == fields
