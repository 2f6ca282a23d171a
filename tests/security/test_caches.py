"""Attack 5 of issue 10: caches that anyone can grow. The parsed-document cache and the
persisted-query store are bounded in bytes; only documents that parse are kept, and a
persisted query only once it has parsed, validated and run for a signed-in user."""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import get_introspection_query, parse

from infra.settings.values import GraphQLLimits
from schema.build import build_schema
from schema.document_cache import document_bytes
from tests.support.api import bearer, error_codes, register

MIB = 1024 * 1024
SLACK = MIB  # what the test's own objects and the interpreter may keep meanwhile


def padded(unique: int, size: int = 60_000) -> str:
    """A valid document padded with a comment: cheap to send, costly to keep."""
    return f"{{ __typename }}\n# {unique} " + "x" * size


async def retained_bytes(flood: Callable[[], Awaitable[None]]) -> int:
    """Bytes allocated during `flood` and still held after it."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        await flood()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


async def test_the_document_cache_holds_its_budget_after_a_flood():
    budget = MIB
    schema = build_schema(GraphQLLimits(cache_bytes=budget))

    async def flood() -> None:
        for unique in range(40):
            assert (await schema.execute(padded(unique))).data == {"__typename": "Query"}
        for unique in range(40):  # does not parse: never kept
            assert (await schema.execute(f"{{ a{unique}: __typename ")).errors

    assert await retained_bytes(flood) <= budget + SLACK
    cache = schema.documents.cache
    assert 0 < cache.bytes <= budget
    assert 0 < len(cache) < 40
    assert padded(39) in cache and padded(0) not in cache  # least recently used out first


def test_the_byte_accounting_covers_what_a_parsed_document_holds():
    samples = [
        get_introspection_query(descriptions=True),
        "{ a:__typename" + " me{id}" * 1200 + "}",  # token-dense
        "{" + " a" * 4990 + "}",
        padded(0, size=300_000),
        '{ search(query: "' + "y" * 200_000 + '") { score } }',
    ]
    for text in samples:
        gc.collect()
        tracemalloc.start()
        try:
            document = parse(text)
            gc.collect()
            held = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        assert document_bytes(text, document) >= held, text[:40]


async def _apq(http: Any, query: str | None, headers: dict[str, str] | None = None) -> Any:
    digest = hashlib.sha256((query or "").encode()).hexdigest()
    return await _apq_digest(http, query, digest, headers)


async def _apq_digest(
    http: Any, query: str | None, digest: str, headers: dict[str, str] | None = None
) -> Any:
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    if query is not None:
        body["query"] = query
    response = await http.post("/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _digest(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


async def test_an_anonymous_registration_runs_but_is_not_kept(client):
    for headers in (None, bearer("not-a-token")):
        query = f"{{ anonymous{len(str(headers))}: __typename }}"
        ran = await _apq(client, query, headers)
        assert "errors" not in ran
        assert error_codes(await _apq_digest(client, None, _digest(query), headers)) == [
            "PERSISTED_QUERY_NOT_FOUND"
        ]


async def test_a_signed_in_registration_is_kept_once_it_parses_and_validates(client):
    user = await register(client)
    headers = user["headers"]
    for broken in ("{ me { id ", "{ noSuchField }"):
        assert error_codes(await _apq(client, broken, headers)) == ["BAD_REQUEST"]
        missing = await _apq_digest(client, None, _digest(broken), headers)
        assert error_codes(missing) == ["PERSISTED_QUERY_NOT_FOUND"]
    query = "{ me { username } }"
    assert (await _apq(client, query, headers))["data"]["me"]["username"]
    hit = await _apq_digest(client, None, _digest(query), headers)
    assert hit["data"]["me"]["username"] == user["user"]["username"]


async def test_the_persisted_store_holds_its_budget_after_a_flood(client, app_with, settings):
    budget = MIB
    limits = dataclasses.replace(settings.limits, cache_bytes=budget)
    async with await app_with(limits=limits) as http:
        user = await register(http)
        queries = [padded(1000 + unique) for unique in range(40)]

        async def flood() -> None:
            for query in queries:
                assert "errors" not in await _apq(http, query, user["headers"])

        # Both caches of that server hold a copy of each document: two budgets.
        assert await retained_bytes(flood) <= 2 * budget + SLACK
        newest = await _apq_digest(http, None, _digest(queries[-1]), user["headers"])
        assert newest["data"] == {"__typename": "Query"}
        oldest = await _apq_digest(http, None, _digest(queries[0]), user["headers"])
        assert error_codes(oldest) == ["PERSISTED_QUERY_NOT_FOUND"]
