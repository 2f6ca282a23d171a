"""On the real schema and a seeded graph, generated queries get the same answer from the fast
execution context as from graphql-core's own: same data, same errors."""

from __future__ import annotations

from typing import Any

from hypothesis_graphql import Mode
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.services import build_services, running
from resolvers.context import RequestContext
from resolvers.ids import decode_id
from schema.build import build_schema
from tests.graph.seed import seed_graph
from tests.graph.test_fuzz import QUERIES, generated_documents
from tests.graph.test_query_counts import NESTED
from tests.support.api import graphql, register

NODE_BY_TYPE = """{ node(id: $id) { id __typename
  ... on Task { title steps(first: 3) { edges { node { id index action { name final } } } } }
  ... on Step { index } } }"""


def _answer(result: Any) -> tuple[Any, list[tuple[str, Any]]]:
    errors = [(error.message, error.path) for error in result.errors or []]
    if result.data is None and errors:
        # Root fields run concurrently, and the first to fail a non-null root ends the
        # operation: which one that is depends on the database's timing, in graphql-core too.
        return None, [("failed", None)]
    return _without_signatures(result.data), sorted(errors, key=str)  # their order means nothing


def _without_signatures(value: Any) -> Any:
    """Download links are signed with an expiry in seconds, which the two runs may straddle."""
    if isinstance(value, dict):
        return {
            k: "signed" if k == "downloadUrl" else _without_signatures(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_without_signatures(v) for v in value]
    return value


async def test_generated_queries_get_graphql_cores_answer(client, settings):
    user = await register(client)
    _, user_pk = decode_id(user["user"]["id"])
    await seed_graph(user_pk, tasks=4, steps=3, documents=2)
    fast = build_schema(settings.limits)
    ordinary = build_schema(settings.limits)
    ordinary.execution_context_class = StrawberryGraphQLCoreExecutionContext
    task = (
        await graphql(
            client, "{ tasks(first: 1) { edges { node { id } } } }", headers=user["headers"]
        )
    )["data"]["tasks"]["edges"][0]["node"]["id"]
    documents = [
        NESTED,
        NODE_BY_TYPE.replace("$id", f'"{task}"'),
        """{ documents { edges { cursor node { id title status chunkCount
             chunks(first: 2) { edges { node { id index content document { title } } } } } } } }""",
        """{ me { __typename ...on User { username } tasks(first: 2) { pageInfo { hasNextPage }
             edges { node { __typename steps(first: 2) { edges { node { __typename index
               result { __typename status summary citations { score chunk { content } } } } } }
             } } } } }""",
        # Fields that need no id mostly answer with data; the others mostly with errors.
        *generated_documents(Mode.POSITIVE, 150, ["me", "tasks", "documents"]),
        *generated_documents(Mode.POSITIVE, 100, QUERIES),
    ]
    token = user["headers"]["Authorization"].removeprefix("Bearer ")
    different, with_data = [], 0
    async with running(build_services(settings), workers=0) as services:
        for document in documents:
            answers = []
            for schema in (fast, ordinary):
                context = RequestContext(services=services, token=token)
                answers.append(_answer(await schema.execute(document, context_value=context)))
            if answers[0] != answers[1]:
                different.append((document, answers))
            with_data += _has_values(answers[0][0])
    assert not different, different[:2]
    assert with_data >= 50  # real answers were compared, not only errors (62 at writing)


def _has_values(data: Any) -> bool:
    return isinstance(data, dict) and any(value is not None for value in data.values())
