"""Relay nodes, the cost limit and automatic persisted queries."""

from __future__ import annotations

import hashlib
import json

from resolvers.ids import decode_id, encode_id
from tests.graph.seed import seed_graph
from tests.support.api import error_codes, graphql, register

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"


async def test_node_resolves_every_type_you_own_and_nothing_else(client):
    owner = await register(client)
    stranger = await register(client)
    _, owner_pk = decode_id(owner["user"]["id"])
    await seed_graph(owner_pk, tasks=1, steps=1, documents=1)
    ids = await graphql(
        client,
        "{ tasks(first: 1) { edges { node { id documents { id } steps { edges { node { id "
        "result { citations { chunk { id document { id } } } } } } } } } } }",
        headers=owner["headers"],
    )
    task = ids["data"]["tasks"]["edges"][0]["node"]
    step = task["steps"]["edges"][0]["node"]
    chunk = step["result"]["citations"][0]["chunk"]
    expected = {
        owner["user"]["id"]: "User",
        task["id"]: "Task",
        step["id"]: "Step",
        task["documents"][0]["id"]: "TaskDocument",
        chunk["id"]: "Chunk",
        chunk["document"]["id"]: "Document",
    }
    for global_id, typename in expected.items():
        mine = await graphql(client, NODE, {"id": global_id}, headers=owner["headers"])
        assert mine["data"]["node"] == {"__typename": typename, "id": global_id}
        theirs = await graphql(client, NODE, {"id": global_id}, headers=stranger["headers"])
        assert theirs["data"]["node"] is None
    for nonsense in ["", "x", encode_id("Invite", 1), encode_id("Task", 10**12), "%%%"]:
        result = await graphql(client, NODE, {"id": nonsense}, headers=owner["headers"])
        assert result["data"]["node"] is None
    anonymous = await graphql(client, NODE, {"id": task["id"]})
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


HUGE = """{ tasks(first: 100) { edges { node { steps(first: 100) { edges { node {
  result { citations { chunk { document { chunks(first: 100) { edges { node { id } } } } } } }
} } } } } } }"""


async def test_a_request_for_millions_of_objects_is_refused_before_it_runs(client):
    user = await register(client)
    result = await graphql(client, HUGE, headers=user["headers"])
    assert error_codes(result) == ["BAD_REQUEST"]
    assert "may produce" in result["errors"][0]["message"]
    via_variables = await graphql(
        client,
        "query($n: Int) { tasks(first: $n) { edges { node { steps(first: $n) { edges { node {"
        " documents { id } result { citations { chunk { id } } } } } } } } } }",
        {"n": 1},
        headers=user["headers"],
    )
    assert error_codes(via_variables) == ["BAD_REQUEST"]  # sized by the worst a variable allows
    modest = await graphql(
        client, "{ tasks(first: 10) { edges { node { steps(first: 10) { totalCount } } } } }",
        headers=user["headers"],
    )  # fmt: skip
    assert "errors" not in modest


async def _apq(client, headers, query: str | None, digest: str, method="POST"):
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    if method == "GET":
        params = {"extensions": json.dumps(extensions)}
        if query is not None:
            params["query"] = query
        response = await client.get("/graphql", params=params, headers=headers)
    else:
        body = {"extensions": extensions}
        if query is not None:
            body["query"] = query
        response = await client.post("/graphql", json=body, headers=headers)
    assert response.headers["content-type"].startswith("application/json"), response.text
    return response.json()


async def test_automatic_persisted_queries(client):
    user = await register(client)
    query = "{ me { username } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    miss = await _apq(client, user["headers"], None, digest)
    assert error_codes(miss) == ["PERSISTED_QUERY_NOT_FOUND"]
    registered = await _apq(client, user["headers"], query, digest)
    assert registered["data"]["me"]["username"] == user["user"]["username"]
    hit = await _apq(client, user["headers"], None, digest)
    assert hit == registered
    by_get = await _apq(client, user["headers"], None, digest, method="GET")
    assert by_get == registered
    wrong = await _apq(client, user["headers"], "{ me { id } }", digest)
    assert error_codes(wrong) == ["BAD_REQUEST"]
    garbage = await _apq(client, user["headers"], None, "not-a-hash")
    assert error_codes(garbage) == ["BAD_REQUEST"]
