"""A nested read costs the same number of SQL queries for 1 task as for 100."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

import models
from resolvers.ids import decode_id
from tests.graph.seed import seed_graph
from tests.support.api import graphql, register
from tests.support.query_count import count_queries

NESTED = """
{ me { tasks(first: 100) { totalCount edges { node {
    id title stepCount documents { id filename }
    steps(first: 20) { totalCount edges { node {
      index action { name final }
      result { status citations { score chunk { id content document { id title } } } }
      documents { id filename downloadUrl }
      task { id }
    } } }
} } } } }
"""


async def _nested_read_queries(client, tasks: int) -> tuple[int, dict]:
    user = await register(client)
    _, user_pk = decode_id(user["user"]["id"])
    await seed_graph(user_pk, tasks=tasks, steps=3, documents=2)
    with count_queries() as counter:
        result = await graphql(client, NESTED, headers=user["headers"])
    assert "errors" not in result, result
    return counter.count_excluding("ingestion_jobs"), result


async def test_the_nested_read_costs_the_same_for_1_and_100_tasks(client):
    one, small = await _nested_read_queries(client, 1)
    hundred, large = await _nested_read_queries(client, 100)
    assert small["data"]["me"]["tasks"]["totalCount"] == 1
    edges = large["data"]["me"]["tasks"]["edges"]
    assert len(edges) == 100
    steps = edges[0]["node"]["steps"]["edges"]
    assert [s["node"]["index"] for s in steps] == [0, 1, 2]
    assert len(steps[0]["node"]["documents"]) == 2
    assert steps[0]["node"]["result"]["citations"][0]["chunk"]["document"]["title"] == "Source"
    assert one == hundred, (one, hundred)
    assert hundred <= 11, hundred


async def test_per_parent_pages_take_the_first_n_of_each_parent(client):
    user = await register(client)
    _, user_pk = decode_id(user["user"]["id"])
    await seed_graph(user_pk, tasks=5, steps=7, documents=0)
    query = """query($after: String) { tasks(first: 5) { edges { node {
      steps(first: 3, after: $after) { pageInfo { hasNextPage endCursor } edges { node { index } } }
    } } } }"""
    first = await graphql(client, query, headers=user["headers"])
    pages = [e["node"]["steps"] for e in first["data"]["tasks"]["edges"]]
    assert all([s["node"]["index"] for s in p["edges"]] == [0, 1, 2] for p in pages)
    assert all(p["pageInfo"]["hasNextPage"] for p in pages)
    cursor = pages[0]["pageInfo"]["endCursor"]
    second = await graphql(client, query, {"after": cursor}, headers=user["headers"])
    for edge in second["data"]["tasks"]["edges"]:
        assert [s["node"]["index"] for s in edge["node"]["steps"]["edges"]] == [3, 4, 5]


async def test_two_pages_of_one_parent_in_one_request_keep_their_own_sizes(client):
    user = await register(client)
    _, user_pk = decode_id(user["user"]["id"])
    await seed_graph(user_pk, tasks=2, steps=7, documents=0)
    query = """{ tasks(first: 2) { edges { node {
      wide: steps(first: 5) { edges { node { index } } }
      narrow: steps(first: 2) { pageInfo { hasNextPage } edges { node { index } } }
    } } } }"""
    result = await graphql(client, query, headers=user["headers"])
    for edge in result["data"]["tasks"]["edges"]:
        assert [s["node"]["index"] for s in edge["node"]["wide"]["edges"]] == [0, 1, 2, 3, 4]
        assert [s["node"]["index"] for s in edge["node"]["narrow"]["edges"]] == [0, 1]
        assert edge["node"]["narrow"]["pageInfo"]["hasNextPage"]


@contextlib.contextmanager
def cycle_collector_off() -> Iterator[None]:
    """Only reference counting frees objects inside the block; `gc.collect()` then finds (and
    keeps in `gc.garbage`) what was left in cycles."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


async def test_a_nested_read_leaves_its_rows_to_reference_counting(client):
    # Rows kept alive by a reference cycle wait for the cycle collector, and until then each of
    # its collections walks them again, with every other request's in flight.
    user = await register(client)
    _, user_pk = decode_id(user["user"]["id"])
    await seed_graph(user_pk, tasks=20, steps=10, documents=2)
    with cycle_collector_off():
        result = await graphql(client, NESTED, headers=user["headers"])
        assert "errors" not in result, result
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, models.Step | models.TaskDocument)]
    assert len(result["data"]["me"]["tasks"]["edges"]) == 20
    assert left == []
