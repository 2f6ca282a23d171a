"""Edge cases of the gateway, the schema and the resolvers that a review found answered wrongly:
forged cursors, invalid Unicode, a REST body naming another object, mutations reading stale
loaders, introspection escaping the limits, letter case beyond ASCII."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
import websockets

from gateway.graphql_view import MAX_OPERATIONS_PER_CONNECTION
from infra.settings.values import GraphQLLimits
from schema.build import build_schema
from tests.support.api import error_codes, graphql, register

TASKS_AFTER = """query($after: String) {
  tasks(first: 2, after: $after) { totalCount edges { cursor } pageInfo { hasNextPage } } }"""


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "raw",
    [
        "cursor:²",  # str.isdigit() is true for a superscript two; int() refuses it
        "cursor:--5",  # lstrip("-") takes every minus sign; int() refuses two
        "cursor:" + "9" * 30,  # a key no database integer holds
    ],
)
async def test_a_forged_cursor_is_a_validation_error_not_an_internal_error(client, raw):
    """An `after` that is not one of our cursors (Unicode digits, two minus signs, a key no
    integer column holds) is VALIDATION_FAILED, never an internal error."""
    user = await register(client)
    await client.post("/api/tasks", json={"message": "one"}, headers=user["headers"])
    result = await graphql(client, TASKS_AFTER, {"after": _cursor(raw)}, headers=user["headers"])
    assert error_codes(result) == ["VALIDATION_FAILED"], result


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (
            "mutation($m: String!) { createTask(input: {message: $m}) { id } }",
            '{"m": "hello \\ud800"}',
        ),
        (
            "mutation($n: String!) { updateMe(input: {name: $n}) { id } }",
            '{"n": "Ada \\udc00"}',
        ),
    ],
)
async def test_a_lone_surrogate_in_a_graphql_variable_is_refused_not_an_internal_error(
    client, query, variables
):
    """A lone surrogate escape is not Unicode: /graphql refuses the body (400), as the REST
    layer does, instead of failing later in the database (an internal error)."""
    user = await register(client)
    body = f'{{"query": "{query}", "variables": {variables}}}'
    response = await client.post(
        "/graphql",
        content=body,
        headers={**user["headers"], "content-type": "application/json"},
    )
    if response.status_code == 400:
        return
    assert response.status_code == 200, response.text
    assert error_codes(response.json()) in (["BAD_REQUEST"], ["VALIDATION_FAILED"]), response.text


async def test_a_persisted_query_with_a_lone_surrogate_is_not_a_500(client):
    """A query that cannot be encoded cannot match its hash: BAD_REQUEST (or a 400), not a 500."""
    user = await register(client)
    body = (
        '{"query": "{ me { id } } # \\ud800", "extensions": {"persistedQuery": '
        '{"version": 1, "sha256Hash": "' + "a" * 64 + '"}}}'
    )
    response = await client.post(
        "/graphql", content=body, headers={**user["headers"], "content-type": "application/json"}
    )
    assert response.status_code != 500, response.text
    if response.status_code == 200:
        assert error_codes(response.json()) == ["BAD_REQUEST"]


async def test_the_step_route_steps_the_task_in_its_path_not_one_named_in_the_body(client):
    """The path names the task; a body naming another one is refused (422), and no other task is
    stepped."""
    user = await register(client)
    headers = user["headers"]
    first = (await client.post("/api/tasks", json={"message": "A"}, headers=headers)).json()
    second = (await client.post("/api/tasks", json={"message": "B"}, headers=headers)).json()
    response = await client.post(
        f"/api/tasks/{first['id']}", json={"taskId": second["id"]}, headers=headers
    )
    others = (await client.get(f"/api/tasks/{second['id']}/steps", headers=headers)).json()
    assert others == [], "a step was recorded on the task named in the body"
    if response.status_code == 200:
        mine = (await client.get(f"/api/tasks/{first['id']}/steps", headers=headers)).json()
        assert len(mine) == 1


async def test_a_later_mutation_in_one_request_sees_the_task_as_the_earlier_one_left_it(client):
    """Mutations run one after another; each answer shows the task as that mutation left it, not
    as a loader cached it for the field before."""
    user = await register(client)
    task = (await client.post("/api/tasks", json={"message": "A"}, headers=user["headers"])).json()
    result = await graphql(
        client,
        "mutation($t: ID!) { a: stepTask(taskId: $t) { index task { stepCount } } "
        "b: stepTask(taskId: $t) { index task { stepCount } } }",
        {"t": task["id"]},
        headers=user["headers"],
    )
    assert "errors" not in result, result
    assert result["data"]["a"] == {"index": 0, "task": {"stepCount": 1}}
    assert result["data"]["b"] == {"index": 1, "task": {"stepCount": 2}}


async def test_introspection_fields_are_subject_to_the_depth_and_cost_limits():
    """Introspection is measured like any other field: with a depth limit of 3 and a cost limit
    of 50, a deep `__type` and a wide `__schema` document are both refused."""
    tight = build_schema(GraphQLLimits(max_depth=3, max_cost=50))
    deep = await tight.execute(
        '{ __type(name: "Task") { fields { type { ofType { ofType { name } } } } } }'
    )
    assert deep.errors, "a depth-6 introspection query ran under a depth limit of 3"
    wide = await tight.execute("{ __schema { types { fields { type { fields { name } } } } } }")
    assert wide.errors, "an introspection query producing thousands of objects ran"


async def test_the_task_filter_ignores_the_case_of_non_ascii_letters(client):
    """The task filter ignores letter case for every letter, not only ASCII ones (SQLite's LIKE
    folds ASCII only)."""
    user = await register(client)
    await client.post("/api/tasks", json={"message": "Ünïcode notes"}, headers=user["headers"])
    result = await graphql(
        client,
        "query($t: String) { tasks(filter: {text: $t}) { totalCount } }",
        {"t": "ünï"},
        headers=user["headers"],
    )
    assert result["data"]["tasks"]["totalCount"] == 1, result


@pytest.mark.parametrize(
    ("body", "status"),
    [("{not json", 400), ('{"variables": {}}', 400), ('"just a string"', 400)],
)
async def test_a_request_graphql_cannot_read_gets_a_json_graphql_error(client, body, status):
    """Bad JSON or no query is still answered in GraphQL's shape, as JSON with a code."""
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert error_codes(response.json()) == ["BAD_REQUEST"]


async def test_one_websocket_runs_at_most_fifty_operations_at_once(client, server):
    """Each subscription holds a queue and reads on every event: the 51st on one connection is
    refused with an error, and the other fifty keep running."""
    user = await register(client)
    task = (await client.post("/api/tasks", json={"message": "A"}, headers=user["headers"])).json()
    query = "subscription($id: ID!) { taskSteps(taskId: $id) { index } }"
    async with websockets.connect(
        server.ws_url + "/graphql", subprotocols=["graphql-transport-ws"]
    ) as socket:
        init = {"Authorization": f"Bearer {user['token']}"}
        await socket.send(json.dumps({"type": "connection_init", "payload": init}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        for n in range(MAX_OPERATIONS_PER_CONNECTION + 1):
            payload = {"query": query, "variables": {"id": task["id"]}}
            await socket.send(json.dumps({"id": str(n), "type": "subscribe", "payload": payload}))
        refused = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert refused["type"] == "error" and refused["id"] == str(MAX_OPERATIONS_PER_CONNECTION)
        assert "limit" in refused["payload"][0]["message"]
        stepped = await client.post(f"/api/tasks/{task['id']}", headers=user["headers"])
        assert stepped.status_code == 200
        heard = {
            json.loads(await socket.recv())["id"] for _ in range(MAX_OPERATIONS_PER_CONNECTION)
        }
        assert heard == {str(n) for n in range(MAX_OPERATIONS_PER_CONNECTION)}
