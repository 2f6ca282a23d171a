"""POST /auth/register, written from spec/rest-api.md."""

from __future__ import annotations

import pytest

from models import InviteRedemption
from tests.support.api import new_account, register


async def test_register_answers_token_and_user(client):
    account = new_account(email="Mixed.Case@Example.ORG")
    response = await client.post("/auth/register", json=account)
    assert response.status_code == 201
    body = response.json()
    assert isinstance(body["token"], str) and body["token"].count(".") == 2
    user = body["user"]
    assert set(user) == {"id", "username", "name", "email"}
    assert isinstance(user["id"], str)
    assert user["username"] == account["username"]
    assert user["name"] == account["name"]
    assert user["email"] == "mixed.case@example.org"
    me = await client.get("/users/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json() == user


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("username", "ab", "must be 3 to 50"),
        ("username", "a" * 51, "must be 3 to 50"),
        ("username", "has space", "must be 3 to 50"),
        ("username", "<script>", "must be 3 to 50"),
        ("username", "robert'); DROP TABLE users;--", "must be 3 to 50"),
        ("username", "ünïcode", "must be 3 to 50"),
        ("name", "", "must not be empty"),
        ("name", "   ", "must not be empty"),
        ("name", "\u200b", "must not be empty"),  # a zero-width space only
        ("name", "n" * 101, "at most 100"),
        ("name", "bell\x07", "control characters"),
        ("email", "not-an-email", "valid email"),
        ("email", "a@b", "valid email"),
        ("email", "x" * 250 + "@example.org", "at most 254"),
        ("password", "short", "at least 8"),
        ("password", "", "at least 8"),
        ("password", "p" * 1025, "at most 1024"),
    ],
)
async def test_a_field_breaking_its_rule_is_422_naming_it(client, field, value, reason):
    response = await client.post("/auth/register", json=new_account(**{field: value}))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "VALIDATION_FAILED"
    assert list(body["fields"]) == [field]
    assert reason in body["fields"][field]


async def test_username_edge_lengths_are_accepted(client):
    await register(client, username="abc")
    await register(client, username="a" * 50, name="n" * 100)
    await register(client, username="a.b_c-D9")


async def test_every_broken_field_is_named_at_once(client):
    response = await client.post(
        "/auth/register", json={"username": 5, "email": None, "password": ["x"], "extra": 1}
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {
        "extra": "is not a known field",
        "username": "must be a string",
        "name": "is required",
        "email": "must not be null",
        "password": "must be a string",
    }


@pytest.mark.parametrize(
    "body", [b"{not json", b'{"username": "abc",', b"\xff\xfe", b'"a string"', b"[1, 2]", b"null"]
)
async def test_a_body_that_is_not_a_json_object_is_400(client, body):
    response = await client.post(
        "/auth/register", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "BAD_REQUEST"


async def test_an_empty_body_names_the_required_fields(client):
    response = await client.post("/auth/register")
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"username", "name", "email", "password"}


async def test_a_huge_body_is_413_and_not_read_whole(client, settings):
    padding = "x" * (settings.max_json_bytes + 1)
    response = await client.post("/auth/register", json=new_account(name=padding))
    assert response.status_code == 413
    assert response.json()["error"] == "PAYLOAD_TOO_LARGE"


async def test_a_huge_streamed_body_without_length_is_413(client, settings):
    async def chunks():
        for _ in range(settings.max_json_bytes // 65536 + 2):
            yield b" " * 65536

    response = await client.post("/auth/register", content=chunks())
    assert response.status_code == 413


async def test_username_and_email_are_unique_whatever_the_case(client):
    first = await register(client)
    account = first["account"]
    again = new_account(username=account["username"].upper())
    response = await client.post("/auth/register", json=again)
    assert response.status_code == 409
    assert response.json()["error"] == "CONFLICT"
    assert set(response.json()["fields"]) == {"username"}
    response = await client.post("/auth/register", json=new_account(email=account["email"].upper()))
    assert response.status_code == 409
    assert set(response.json()["fields"]) == {"email"}


async def test_closed_registration_is_403(app_with):
    from infra.settings.values import Registration

    async with await app_with(registration=Registration.CLOSED) as closed:
        response = await closed.post("/auth/register", json=new_account())
    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"


async def _invite(client, admin_headers, **arguments):
    args = ", ".join(f"{k}: {v}" for k, v in arguments.items())
    query = f"mutation {{ createInvite{f'({args})' if args else ''} {{ code maxUses uses }} }}"
    response = await client.post("/graphql", json={"query": query}, headers=admin_headers)
    return response.json()["data"]["createInvite"]["code"]


async def _admin(client):
    from models import User

    admin = await register(client)
    await User.filter(username=admin["user"]["username"]).update(is_admin=True)
    return admin


async def test_invite_mode_needs_a_valid_unused_code(client, app_with):
    from infra.settings.values import Registration

    admin = await _admin(client)
    code = await _invite(client, admin["headers"], maxUses=1)
    async with await app_with(registration=Registration.INVITE) as invite_only:
        without = await invite_only.post("/auth/register", json=new_account())
        assert without.status_code == 403
        wrong = await invite_only.post("/auth/register", json=new_account(inviteCode="nope"))
        assert wrong.status_code == 422
        assert set(wrong.json()["fields"]) == {"inviteCode"}
        ok = await invite_only.post("/auth/register", json=new_account(inviteCode=code))
        assert ok.status_code == 201
        used_up = await invite_only.post("/auth/register", json=new_account(inviteCode=code))
        assert used_up.status_code == 422
    assert await InviteRedemption.filter(invite__code=code).count() == 1


async def test_open_mode_records_a_given_code_and_refuses_a_bad_one(client):
    admin = await _admin(client)
    code = await _invite(client, admin["headers"], maxUses=2)
    joined = await register(client, inviteCode=code)
    redemption = await InviteRedemption.get(invite__code=code).prefetch_related("user")
    assert redemption.user.username == joined["user"]["username"]
    response = await client.post("/auth/register", json=new_account(inviteCode="x" * 65))
    assert response.status_code == 422


async def test_an_expired_code_is_refused(client):
    from datetime import UTC, datetime, timedelta

    from models import InviteCode

    admin = await _admin(client)
    code = await _invite(client, admin["headers"])
    await InviteCode.filter(code=code).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    response = await client.post("/auth/register", json=new_account(inviteCode=code))
    assert response.status_code == 422
    assert response.json()["fields"] == {"inviteCode": "is invalid, used up or expired"}
