"""GraphQL over HTTP as its spec says: media types, statuses, request errors without `data`, GET
and HEAD, batches (opt-in, within one request's limits), and where a WebSocket's token comes
from. graphql-http's audit of the whole spec is test_graphql_over_http_audit.py."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import httpx
import pytest

from gateway.graphql_http import answer_media_type
from infra.settings.environment import SettingsError, settings_from_env
from models import User
from tests.support.api import PASSWORD, error_codes, new_account, register
from tests.support.subscriptions import initialise

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
TYPENAME = {"query": "{ __typename }"}
REGISTER = "mutation($i: RegisterInput!) { register(input: $i) { user { username } } }"
LOGIN = "mutation($i: LoginInput!) { login(input: $i) { token } }"


async def post(
    client: httpx.AsyncClient, body: Any, accept: str | None = None, **headers: str
) -> httpx.Response:
    """POSTs `body` as JSON (a str as it is), with `accept` or, for None, no Accept header."""
    content = body if isinstance(body, str) else json.dumps(body)
    request = client.build_request(
        "POST", "/graphql", content=content, headers={"content-type": JSON, **headers}
    )
    _accept(request, accept)
    return await client.send(request)


async def get(client: httpx.AsyncClient, params: dict[str, str], accept: str | None = JSON):
    request = client.build_request("GET", "/graphql", params=params)
    _accept(request, accept)
    return await client.send(request)


def _accept(request: httpx.Request, accept: str | None) -> None:
    del request.headers["accept"]  # httpx's default, */*
    if accept is not None:
        request.headers["accept"] = accept


# --- media types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),  # legacy clients send none
        ("", JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (JSON, JSON),
        ("*/*", JSON),  # curl, fetch
        ("application/*", JSON),
        (f"{GRAPHQL_RESPONSE}, {JSON}", GRAPHQL_RESPONSE),  # GraphiQL, Apollo Client
        (f"{JSON}, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),  # a tie goes to the one named
        (f"{JSON};q=0.9, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.5, {JSON}", JSON),
        (f"{GRAPHQL_RESPONSE}, */*;q=0.8", GRAPHQL_RESPONSE),
        ("text/html, */*;q=0.1", JSON),
        (f"{JSON};q=0, */*", GRAPHQL_RESPONSE),  # refused by name, the other by wildcard
        ("text/plain", None),
        (f"{GRAPHQL_RESPONSE};q=0, {JSON};q=0, */*", None),
    ],
)
def test_the_media_type_is_negotiated_by_quality_and_specificity(accept, expected):
    assert answer_media_type(accept) == expected


@pytest.mark.parametrize("accept", [None, "*/*", JSON, GRAPHQL_RESPONSE, f"{JSON};q=0.5, */*"])
async def test_a_query_is_answered_in_the_negotiated_media_type(client, accept):
    response = await post(client, TYPENAME, accept)
    assert response.status_code == 200
    assert response.headers["content-type"] == answer_media_type(accept)
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_an_accept_header_naming_neither_type_is_refused_with_406(client):
    response = await post(client, TYPENAME, "text/plain")
    assert response.status_code == 406
    assert response.headers["content-type"] == JSON
    assert error_codes(response.json()) == ["NOT_ACCEPTABLE"]


# --- request errors --------------------------------------------------------------------------

# Requests that are GraphQL but fail before anything runs: by media type, 400 or 200.
GRAPHQL_REQUEST_ERRORS = {
    "a document that does not parse": ({"query": "{ me { id "}, "BAD_REQUEST"),
    "a document that does not validate": ({"query": "{ nothingHere }"}, "BAD_REQUEST"),
    "variables that do not coerce": (
        {"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": None}},
        "VALIDATION_FAILED",
    ),
    "an operation the document lacks": (
        {"query": "query A { __typename }", "operationName": "B"},
        "BAD_REQUEST",
    ),
}
# Bodies that are no GraphQL request: 400 under either media type.
UNREADABLE_REQUESTS = {
    "a body that is not JSON": '{ "query": ',
    "no body": "",
    "no query": {"variables": {}},
    "a query that is not a string": {"query": 3},
    "variables that are not an object": {"query": "{ __typename }", "variables": "x"},
    "an operationName that is not a string": {"query": "{ __typename }", "operationName": 3},
}


@pytest.mark.parametrize(("accept", "status"), [(GRAPHQL_RESPONSE, 400), (JSON, 200)])
@pytest.mark.parametrize("case", GRAPHQL_REQUEST_ERRORS, ids=str)
async def test_a_request_error_has_no_data_and_its_status_follows_the_media_type(
    client, case, accept, status
):
    body, code = GRAPHQL_REQUEST_ERRORS[case]
    response = await post(client, body, accept)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == accept
    answer = response.json()
    assert "data" not in answer
    assert error_codes(answer) == [code]


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
@pytest.mark.parametrize("case", UNREADABLE_REQUESTS, ids=str)
async def test_a_body_that_is_no_graphql_request_is_a_400_under_either_media_type(
    client, case, accept
):
    response = await post(client, UNREADABLE_REQUESTS[case], accept)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == accept
    answer = response.json()
    assert list(answer) == ["errors"]
    assert answer["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
async def test_a_field_error_is_a_200_with_data(client, accept):
    response = await post(client, {"query": "{ __typename me { id } }"}, accept)
    assert response.status_code == 200
    answer = response.json()
    assert "data" in answer  # null: `me` cannot be null, so its error nulls its parent
    assert error_codes(answer) == ["UNAUTHENTICATED"]
    assert answer["errors"][0]["path"] == ["me"]


# --- GET and HEAD ----------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
async def test_a_mutation_over_get_is_refused_with_405_and_does_not_run(client, accept):
    account = new_account()
    params = {"query": REGISTER, "variables": json.dumps({"i": account})}
    response = await get(client, params, accept)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"] == accept
    assert error_codes(response.json()) == ["METHOD_NOT_ALLOWED"]
    assert not await User.filter(username=account["username"]).exists()


async def test_head_answers_as_get_would_without_a_body(client):
    params = {"query": "{ __typename }"}
    for accept in (GRAPHQL_RESPONSE, JSON):
        got = await get(client, params, accept)
        head = await client.head("/graphql", params=params, headers={"accept": accept})
        assert (head.status_code, got.status_code) == (200, 200)
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"] == accept
        assert head.headers["content-length"] == got.headers["content-length"]
    mutation = await client.head("/graphql", params={"query": "mutation { __typename }"})
    assert (mutation.status_code, mutation.headers["allow"], mutation.content) == (405, "POST", b"")


# --- batches ---------------------------------------------------------------------------------


def test_the_batch_size_setting_refuses_bad_values(tmp_path):
    env = {"TASKLOOM_DATA_DIR": str(tmp_path)}
    assert settings_from_env(env).limits.batch_max == 0  # off unless asked for
    assert settings_from_env({**env, "TASKLOOM_GRAPHQL_BATCH_MAX": "10"}).limits.batch_max == 10
    for bad in ("-1", "ten", "1.5", "101"):
        with pytest.raises(SettingsError, match="TASKLOOM_GRAPHQL_BATCH_MAX"):
            settings_from_env({**env, "TASKLOOM_GRAPHQL_BATCH_MAX": bad})


async def test_batches_are_refused_while_batching_is_off(client):
    response = await post(client, [TYPENAME, TYPENAME], GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert "Batching is off" in response.json()["errors"][0]["message"]


async def batching(app_with, settings, **limits: int) -> httpx.AsyncClient:
    tight = dataclasses.replace(settings.limits, batch_max=3, **limits)
    client: httpx.AsyncClient = await app_with(limits=tight, login_max_failures=2)
    return client


async def test_a_batch_is_answered_by_one_result_per_operation_in_order(app_with, settings):
    account = new_account()
    credentials = {"username": account["username"], "password": PASSWORD}
    batch = [
        {"query": REGISTER, "variables": {"i": account}},
        {"query": LOGIN, "variables": {"i": credentials}},  # sees the account made before it
        {"query": "{ nothingHere }"},
    ]
    async with await batching(app_with, settings) as http:
        response = await post(http, batch, GRAPHQL_RESPONSE)
        assert response.status_code == 200
        assert response.headers["content-type"] == GRAPHQL_RESPONSE
        registered, signed_in, broken = response.json()
        assert registered == {"data": {"register": {"user": {"username": account["username"]}}}}
        assert signed_in["data"]["login"]["token"]
        assert "data" not in broken and error_codes(broken) == ["BAD_REQUEST"]


@pytest.mark.parametrize(
    ("batch", "reason"),
    [
        ([], "1 to 3 operations; this one holds 0"),
        ([TYPENAME] * 4, "1 to 3 operations; this one holds 4"),
        ([TYPENAME, "{ __typename }"], "Operation 1 of the batch: an operation must be"),
        ([TYPENAME, {"query": 3}], "Operation 1 of the batch: `query` must be a string"),
    ],
)
async def test_a_batch_that_does_not_fit_is_a_400(app_with, settings, batch, reason):
    async with await batching(app_with, settings) as http:
        response = await post(http, batch, JSON)
    assert response.status_code == 400
    assert reason in response.json()["errors"][0]["message"]


async def test_a_batch_is_no_way_around_the_cost_depth_or_rate_limits(app_with, settings):
    # Cost 31 each: 10 tasks, each with its edge and node, under `me`.
    costly = {"query": "{ me { tasks(first: 10) { edges { node { id } } } } }"}
    steps = "steps(first: 1) { edges { cursor } }"
    deep = {"query": f"{{ me {{ tasks(first: 1) {{ edges {{ node {{ {steps} }} }} }} }} }}"}
    async with await batching(app_with, settings, max_cost=50, max_depth=6) as http:
        user = await register(http)
        alone = await post(http, costly, JSON, **user["headers"])
        assert alone.json()["data"]["me"]["tasks"]["edges"] == []
        first, second = (await post(http, [costly, costly], JSON, **user["headers"])).json()
        assert "errors" not in first
        assert "data" not in second
        assert "62 objects together, more than 50" in second["errors"][0]["message"]

        first, too_deep = (await post(http, [TYPENAME, deep], JSON, **user["headers"])).json()
        assert first == {"data": {"__typename": "Query"}}
        assert too_deep["errors"][0]["message"] == "Query depth 7 exceeds 6"

        wrong = {"username": user["user"]["username"], "password": "not the password"}
        attempts = [{"query": LOGIN, "variables": {"i": wrong}}] * 3
        answers = (await post(http, attempts, JSON)).json()
    assert [error_codes(answer) for answer in answers][2] == ["RATE_LIMITED"]
    assert all(error_codes(answer) != ["RATE_LIMITED"] for answer in answers[:2])


# --- WebSocket sign-in -----------------------------------------------------------------------


async def signed_in_as(
    server, payload: dict[str, Any], upgrade: str | None = None
) -> str | int | None:
    """Who `{ me }` says the socket is signed in as, or the close code that refused it."""
    options = {"additional_headers": {"Authorization": upgrade}} if upgrade else {}
    handshake = await initialise(server.ws_url, payload, **options)
    if handshake.socket is None:
        return handshake.close_code or handshake.status
    async with handshake.socket as socket:
        query = {"query": "{ me { username } }"}
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": query}))
        message = json.loads(await socket.recv())
    assert message["type"] == "next", message
    me = message["payload"]["data"]
    return me["me"]["username"] if me else error_codes(message["payload"])[0]


async def test_a_websocket_takes_its_token_from_three_places_in_order(client, server):
    users = {name: await register(client) for name in ("ada", "bob", "cy")}
    names = {user["user"]["username"]: name for name, user in users.items()}
    auth = {name: f"Bearer {user['token']}" for name, user in users.items()}

    async def who(payload: dict[str, Any], upgrade: str | None = None) -> object:
        found = await signed_in_as(server, payload, upgrade)
        return names.get(found, found) if isinstance(found, str) else found

    assert await who({"Authorization": auth["ada"]}) == "ada"
    assert await who({"headers": {"Authorization": auth["bob"]}}) == "bob"
    assert await who({"headers": {"authorization": auth["bob"]}}) == "bob"  # any case
    assert await who({}, upgrade=auth["cy"]) == "cy"
    # In order: the payload's own, then its headers', then the upgrade request's.
    both = {"Authorization": auth["ada"], "headers": {"Authorization": auth["bob"]}}
    assert await who(both, upgrade=auth["cy"]) == "ada"
    assert await who({"headers": {"AUTHORIZATION": auth["bob"]}}, upgrade=auth["cy"]) == "bob"
    # An empty value is no token: the next place is read.
    assert await who({"Authorization": "", "headers": {}}, upgrade=auth["cy"]) == "cy"
    assert await who({}) == "UNAUTHENTICATED"  # anonymous: signed in nowhere


@pytest.mark.parametrize(
    "payload",
    [
        {"Authorization": "Bearer forged.token.here"},
        {"Authorization": "Basic YWRhOnB3"},  # not a bearer token
        {"Authorization": 3},
        {"headers": {"Authorization": "Bearer forged.token.here"}},
    ],
    ids=["forged", "not bearer", "not a string", "forged in headers"],
)
async def test_a_bad_token_where_first_found_refuses_without_falling_through(
    client, server, payload
):
    good = await register(client)
    assert await signed_in_as(server, payload, f"Bearer {good['token']}") == 4403


async def test_a_bad_token_on_the_upgrade_request_refuses(server):
    assert await signed_in_as(server, {}, "Bearer forged.token.here") == 4403
