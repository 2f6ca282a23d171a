"""The GraphQL endpoint: error codes, masking, limits, invites, WebSocket authentication."""

from __future__ import annotations

import json

import pytest
import websockets
from graphql import GraphQLError

from infra.settings.values import GraphQLLimits
from models import User
from schema.build import build_schema
from schema.errors import shape_error
from tests.support.api import error_codes, graphql, register


async def test_me_over_graphql(client):
    registered = await register(client)
    result = await graphql(
        client, "{ me { id username name email } }", headers=registered["headers"]
    )
    assert result == {"data": {"me": registered["user"]}}


async def test_expected_failures_carry_their_code(client):
    result = await graphql(client, "{ me { id } }")
    assert error_codes(result) == ["UNAUTHENTICATED"]
    result = await graphql(
        client,
        "mutation($i: RegisterInput!) { register(input: $i) { token } }",
        {"i": {"username": "x", "name": "n", "email": "e@example.org", "password": "password1"}},
    )
    assert error_codes(result) == ["VALIDATION_FAILED"]
    assert result["errors"][0]["extensions"]["fields"] == {
        "username": "must be 3 to 50 characters of letters, digits, '.', '_' or '-'"
    }


async def test_broken_documents_and_variables_are_refused_with_a_code(client):
    assert error_codes(await graphql(client, "{ me { id ")) == ["BAD_REQUEST"]
    assert error_codes(await graphql(client, "{ nothingHere }")) == ["BAD_REQUEST"]
    result = await graphql(
        client,
        "mutation($i: LoginInput!) { login(input: $i) { token } }",
        {"i": {"username": 3, "password": "x"}},
    )
    assert error_codes(result) == ["VALIDATION_FAILED"]


def test_unexpected_errors_are_masked():
    leaked = GraphQLError("boom", path=["me"], original_error=RuntimeError("password=hunter2"))
    shaped = shape_error(leaked)
    assert shaped.message == "Internal server error"
    assert shaped.extensions == {"code": "INTERNAL"}
    assert "hunter2" not in json.dumps(shaped.formatted)
    down = shape_error(GraphQLError("x", original_error=ConnectionRefusedError("db at 10.0.0.1")))
    assert down.extensions == {"code": "UNAVAILABLE"}
    assert "10.0.0.1" not in down.message


async def test_depth_is_measured_through_fragment_spreads(client):
    registered = await register(client)
    query = "query { ...Deep }\nfragment Deep on Query { me { ...U } }\nfragment U on User { id }"
    ok = await graphql(client, query, headers=registered["headers"])
    assert ok["data"]["me"]["id"] == registered["user"]["id"]
    # The schema is shallow so far: a tighter limit shows that spreads are followed.
    tight = build_schema(GraphQLLimits(max_depth=1))
    result = await tight.execute(query)
    assert result.errors
    assert result.errors[0].message == "Query depth 2 exceeds 1"
    assert result.errors[0].extensions == {"code": "BAD_REQUEST"}


async def test_aliases_are_counted_in_every_spread_of_a_fragment(client, settings):
    limit = settings.limits.max_aliases
    per_fragment = 10
    spreads = limit // per_fragment + 1
    fields = " ".join(f"a{i}: id" for i in range(per_fragment))
    query = (
        "query { me { "
        + " ".join("... on User { ...F }" for _ in range(spreads))
        + " } }\n"
        + f"fragment F on User {{ {fields} }}"
    )
    result = await graphql(client, query)
    assert error_codes(result) == ["BAD_REQUEST"]
    assert f"{per_fragment * spreads} aliases exceed {limit}" in result["errors"][0]["message"]


async def test_fragment_bombs_are_measured_without_expanding_them(client):
    # Each fragment spreads the previous one twice: 2**30 fields if expanded.
    fragments = ["fragment F0 on User { a: id }"]
    for i in range(1, 31):
        fragments.append(f"fragment F{i} on User {{ ...F{i - 1} ...F{i - 1} }}")
    query = "query { me { ...F30 } }\n" + "\n".join(fragments)
    result = await graphql(client, query)
    assert error_codes(result) == ["BAD_REQUEST"]
    # Refused by the selection budget, before validation (tests/security/test_document_budget.py).
    assert "once its fragments are expanded" in result["errors"][0]["message"]


async def test_token_limit(client, settings):
    query = "{ me { " + "id " * (settings.limits.max_tokens + 1) + "} }"
    result = await graphql(client, query)
    assert error_codes(result) == ["BAD_REQUEST"]
    assert "more than 5000 tokens" in result["errors"][0]["message"]


async def test_only_admins_create_invites(client):
    user = await register(client)
    result = await graphql(client, "mutation { createInvite { code } }", headers=user["headers"])
    assert error_codes(result) == ["FORBIDDEN"]
    await User.filter(username=user["user"]["username"]).update(is_admin=True)
    result = await graphql(
        client,
        "mutation { createInvite(maxUses: 3, expiresInHours: 2) { code maxUses uses expiresAt } }",
        headers=user["headers"],
    )
    invite = result["data"]["createInvite"]
    assert invite["maxUses"] == 3 and invite["uses"] == 0 and len(invite["code"]) >= 16


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ("maxUses: 0", "maxUses"),
        ("maxUses: 100000", "maxUses"),
        ("expiresInHours: -1", "expiresInHours"),
    ],
)
async def test_invite_arguments_are_validated(client, arguments, field):
    user = await register(client)
    await User.filter(username=user["user"]["username"]).update(is_admin=True)
    result = await graphql(
        client, f"mutation {{ createInvite({arguments}) {{ code }} }}", headers=user["headers"]
    )
    assert error_codes(result) == ["VALIDATION_FAILED"]
    assert list(result["errors"][0]["extensions"]["fields"]) == [field]


async def test_introspection_can_be_switched_off(app_with):
    async with await app_with(introspection=False) as closed:
        response = await closed.post("/graphql", json={"query": "{ __schema { types { name } } }"})
    assert response.json()["errors"]


async def _ws_handshake(server, payload):
    async with websockets.connect(
        server.ws_url + "/graphql", subprotocols=["graphql-transport-ws"]
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        try:
            return json.loads(await socket.recv())
        except websockets.ConnectionClosed as closed:
            return {"closed": closed.rcvd.code if closed.rcvd else None}


async def test_websocket_connection_init_authenticates(client, server):
    registered = await register(client)
    ok = await _ws_handshake(server, {"Authorization": f"Bearer {registered['token']}"})
    assert ok == {"type": "connection_ack"}
    refused = await _ws_handshake(server, {"Authorization": "Bearer forged.token.here"})
    assert refused == {"closed": 4403}
