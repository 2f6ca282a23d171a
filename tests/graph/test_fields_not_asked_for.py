"""What a read does not ask for it does not read or write: a page of steps reads the columns
its selection names (`result` and `created` are parsed for every row read, and a list seldom shows
them), and edges write their cursors only when asked for."""

from __future__ import annotations

import pytest

from resolvers.ids import decode_id
from tests.graph.seed import seed_graph
from tests.support.api import graphql, register
from tests.support.query_count import count_queries

STEP = "id index input action { name } result { status details } created"


async def _steps(client, headers, selection: str, fragments: str = "") -> tuple[list, list[str]]:
    query = (
        "{ tasks(first: 5) { edges { node { steps(first: 5) { edges { node { "
        + selection
        + " } } } } } } } "
        + fragments
    )
    with count_queries() as counter:
        result = await graphql(client, query, headers=headers)
    assert "errors" not in result, result
    edges = [e["node"]["steps"]["edges"] for e in result["data"]["tasks"]["edges"]]
    windows = [sql for sql in counter.statements if "ROW_NUMBER()" in sql and '"steps"' in sql]
    return [step["node"] for page in edges for step in page], windows


@pytest.fixture
async def user(client):
    user = await register(client)
    _, pk = decode_id(user["user"]["id"])
    await seed_graph(pk, tasks=2, steps=3, documents=1)
    return user


async def test_a_page_without_result_or_created_does_not_read_them(client, user):
    steps, windows = await _steps(client, user["headers"], "id index action { name }")
    assert [s["action"]["name"] for s in steps] == ["finish"] * 6
    assert len(windows) == 1
    assert '"result"' not in windows[0] and '"created"' not in windows[0]
    assert '"action"' in windows[0]


@pytest.mark.parametrize(
    ("selection", "fragments"),
    [
        (STEP, ""),
        ("... on Step { " + STEP + " }", ""),
        ("...Shown", "fragment Shown on Step { " + STEP + " }"),
        ("id ... on Node { ... on Step { index input action { name } } } "
         "...Rest", "fragment Rest on Step { result { status details } created }"),
    ],
)  # fmt: skip
async def test_fields_asked_for_in_any_form_are_read_whole(client, user, selection, fragments):
    steps, windows = await _steps(client, user["headers"], selection, fragments)
    assert len(windows) == 1 and '"result"' in windows[0] and '"created"' in windows[0]
    for step in steps:
        alone = await graphql(
            client,
            f'{{ node(id: "{step["id"]}") {{ ... on Step {{ {STEP} }} }} }}',
            headers=user["headers"],
        )
        assert step == alone["data"]["node"]
        assert step["result"] == {"status": "ok", "details": {}}
        assert not step["created"].startswith("1970")


async def test_edge_cursors_asked_for_through_a_fragment_are_written_and_lead_on(client, user):
    query = """query($after: String) { tasks(first: 1) { edges { node {
      steps(first: 2, after: $after) { ...Cursors pageInfo { endCursor } }
    } } } } fragment Cursors on StepConnection { edges { ... on StepEdge { cursor } } }"""
    first = await graphql(client, query, headers=user["headers"])
    steps = first["data"]["tasks"]["edges"][0]["node"]["steps"]
    cursors = [edge["cursor"] for edge in steps["edges"]]
    assert all(cursors) and cursors[-1] == steps["pageInfo"]["endCursor"]
    after_first = await graphql(client, query, {"after": cursors[0]}, headers=user["headers"])
    following = after_first["data"]["tasks"]["edges"][0]["node"]["steps"]["edges"]
    assert following[0]["cursor"] == cursors[1]
