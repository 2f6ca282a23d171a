"""The knowledge base over GraphQL: multipart uploads, search arguments, pages, subscriptions."""

from __future__ import annotations

import json

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from tests.support.api import error_codes, graphql, register
from tests.support.query_count import count_queries
from tests.support.subscriptions import SubscriptionError, subscription, until_ingested

UPLOAD = """
mutation($title: String!, $description: String!, $file: Upload!) {
  uploadDocument(title: $title, description: $description, file: $file) {
    id title status contentType
  }
}
"""


async def graphql_upload(client, headers, content: bytes, title="Doc", filename="doc.txt"):
    operations = {
        "query": UPLOAD,
        "variables": {"title": title, "description": "about it", "file": None},
    }
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (filename, content, "text/plain")},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def uploaded(client, server, user, content: bytes, **kwargs) -> str:
    result = await graphql_upload(client, user["headers"], content, **kwargs)
    document_id = result["data"]["uploadDocument"]["id"]
    final = await until_ingested(server.ws_url, user["token"], document_id)
    assert final["status"] == "READY", final
    return document_id


async def test_upload_through_the_multipart_request_spec(client, server):
    user = await register(client)
    result = await graphql_upload(client, user["headers"], b"Mossy stones keep the river cool.")
    document = result["data"]["uploadDocument"]
    assert document["title"] == "Doc" and document["contentType"] == "text/plain"
    await until_ingested(server.ws_url, user["token"], document["id"])
    page = await graphql(
        client,
        "{ me { id } documents(first: 5) { totalCount edges { node { id chunkCount "
        "chunks(first: 1) { totalCount edges { node { content document { id } } } } } } } }",
        headers=user["headers"],
    )
    node = page["data"]["documents"]["edges"][0]["node"]
    assert node["chunks"]["edges"][0]["node"]["document"]["id"] == document["id"]
    assert node["chunks"]["totalCount"] == node["chunkCount"] == 1


async def test_graphql_upload_errors_carry_codes(client):
    user = await register(client)
    empty = await graphql_upload(client, user["headers"], b"")
    assert error_codes(empty) == ["VALIDATION_FAILED"]
    binary = await graphql_upload(client, user["headers"], b"\x89PNG\r\n\x1a\n\x00\x00")
    assert error_codes(binary) == ["UNSUPPORTED_MEDIA_TYPE"]
    untitled = await graphql_upload(client, user["headers"], b"text", title="  ")
    assert error_codes(untitled) == ["VALIDATION_FAILED"]
    anonymous = await graphql_upload(client, {}, b"text")
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_search_modes_scores_and_document_filter(client, server):
    user = await register(client)
    rivers = await uploaded(client, server, user, b"Mossy stones keep the river cool.")
    deserts = await uploaded(client, server, user, b"Dunes shift under the desert wind.")
    query = """query($q: String!, $mode: SearchMode!, $ids: [ID!]) {
      search(query: $q, mode: $mode, documentIds: $ids, limit: 5) {
        score keywordScore vectorScore chunk { documentId }
      }
    }"""
    for mode in ("HYBRID", "KEYWORD", "VECTOR"):
        result = await graphql(
            client, query, {"q": "river stones", "mode": mode}, headers=user["headers"]
        )
        hits = result["data"]["search"]
        assert hits and hits[0]["chunk"]["documentId"] == rivers, mode
        if mode == "KEYWORD":
            assert hits[0]["vectorScore"] is None and hits[0]["keywordScore"] is not None
        if mode == "VECTOR":
            assert hits[0]["keywordScore"] is None and hits[0]["vectorScore"] is not None
    only_deserts = await graphql(
        client,
        query,
        {"q": "river stones", "mode": "HYBRID", "ids": [deserts]},
        headers=user["headers"],
    )
    assert {h["chunk"]["documentId"] for h in only_deserts["data"]["search"]} <= {deserts}
    foreign = await graphql(
        client,
        query,
        {"q": "river", "mode": "HYBRID", "ids": ["bm9wZQ", "VXNlcjox"]},
        headers=user["headers"],
    )
    assert foreign["data"]["search"] == []


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ('query: ""', "query"),
        ('query: "   "', "query"),
        ('query: "\u200b\u2060 "', "query"),  # zero-width characters only: nothing to read
        (f'query: "{"q" * 1001}"', "query"),
        ('query: "x", limit: 0', "limit"),
        ('query: "x", limit: 101', "limit"),
        ('query: "x", alpha: 1.5', "alpha"),
        ('query: "x", alpha: -0.1', "alpha"),
    ],
)
async def test_search_arguments_are_validated(client, arguments, field):
    user = await register(client)
    result = await graphql(
        client, f"{{ search({arguments}) {{ score }} }}", headers=user["headers"]
    )
    assert error_codes(result) == ["VALIDATION_FAILED"]
    assert list(result["errors"][0]["extensions"]["fields"]) == [field]


async def test_search_survives_hostile_query_text(client, server):
    user = await register(client)
    await uploaded(client, server, user, b"Plain words about harbours and ships.")
    for text in [
        '"unbalanced',
        "NEAR(a b",
        "a OR",
        "*",
        "col:umn",
        "'; DROP TABLE chunks;--",
        "ships)",
        "-ships",
        "^ships",
    ]:
        result = await graphql(
            client,
            "query($q: String!) { search(query: $q) { score } }",
            {"q": text},
            headers=user["headers"],
        )
        assert "errors" not in result, (text, result)


async def test_search_reads_its_hits_by_their_ids_not_by_walking_the_owners_chunks(client, server):
    """Joined from the owner's documents, SQLite read every chunk of them to find a search's
    hits once they were 20 or more: 19 ms a search of 100 hits in a document of 100k chunks.
    The plan tells without 100k chunks."""
    user = await register(client)
    text = " ".join(f"Stone {n} keeps river number {n} cool in the summer." for n in range(400))
    await uploaded(client, server, user, text.encode())
    with count_queries() as counter:
        result = await graphql(
            client,
            '{ search(query: "river", limit: 100) { chunk { content } } }',
            headers=user["headers"],
        )
    assert len(result["data"]["search"]) >= 20, result
    reads = [
        (sql, values)
        for sql, values in zip(counter.statements, counter.values, strict=True)
        if "chunks" in sql
    ]
    assert len(reads) == 1, reads
    plan = await _query_plan(*reads[0])
    if connections.get("default").capabilities.dialect == "postgres":
        assert "chunks_pkey" in plan and "document_id" not in plan, plan
    else:
        assert "SEARCH chunks USING INTEGER PRIMARY KEY" in plan, plan
        assert "document_id" not in plan, plan


async def _query_plan(sql: str, values: list) -> str:
    async with in_transaction() as connection:
        if connection.capabilities.dialect == "postgres":
            # Tables of a few rows are scanned whatever the indexes: ask which index it would use.
            await connection.execute_script("SET LOCAL enable_seqscan = off")
            _, rows = await connection.execute_query(f"EXPLAIN {sql}", values)
            return "\n".join(row["QUERY PLAN"] for row in rows)
        _, rows = await connection.execute_query(f"EXPLAIN QUERY PLAN {sql}", values)
        return "\n".join(row["detail"] for row in rows)


async def test_documents_pages_with_stable_cursors(client):
    user = await register(client)
    for n in range(5):
        await graphql_upload(
            client, user["headers"], f"document number {n}".encode(), title=f"Doc {n}"
        )
    query = """query($after: String) { documents(first: 2, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { title } } } }"""
    titles, after = [], None
    while True:
        page = (await graphql(client, query, {"after": after}, headers=user["headers"]))["data"]
        assert page["documents"]["totalCount"] == 5
        titles += [e["node"]["title"] for e in page["documents"]["edges"]]
        if not page["documents"]["pageInfo"]["hasNextPage"]:
            break
        after = page["documents"]["pageInfo"]["endCursor"]
    assert titles == [f"Doc {n}" for n in reversed(range(5))]
    bad = await graphql(
        client, '{ documents(after: "garbage") { totalCount } }', headers=user["headers"]
    )
    assert error_codes(bad) == ["VALIDATION_FAILED"]
    too_many = await graphql(
        client, "{ documents(first: 101) { totalCount } }", headers=user["headers"]
    )
    assert error_codes(too_many) == ["VALIDATION_FAILED"]


async def test_progress_subscription_refuses_others_and_the_anonymous(client, server):
    owner = await register(client)
    stranger = await register(client)
    result = await graphql_upload(client, owner["headers"], b"Quiet notes.")
    document_id = result["data"]["uploadDocument"]["id"]
    query = "subscription($id: ID!) { documentProgress(id: $id) { status } }"
    for token in (stranger["token"], None):
        with pytest.raises(SubscriptionError) as refused:
            async with subscription(server.ws_url, token, query, {"id": document_id}) as updates:
                async for _ in updates:
                    pass
        codes = [error["extensions"]["code"] for error in refused.value.args[0]]
        assert codes in (["NOT_FOUND"], ["UNAUTHENTICATED"])
    final = await until_ingested(server.ws_url, owner["token"], document_id)
    assert final["status"] == "READY"
    # Once ready, a new subscription sends the state and completes at once.
    assert (await until_ingested(server.ws_url, owner["token"], document_id))["status"] == "READY"
