"""Search through the API against what it costs underneath, at 10k and 100k chunks: GraphQL
`search(query, limit, mode: HYBRID)` over HTTP (one connection, one query at a time) against the
embedded store's own HYBRID search plus the query's embedding, on the same data, alternated in
rounds in the same run.

The chunks are bench/search.py's synthetic ones (Zipf-distributed words, random unit vectors)
in one READY document of one user, seeded into the database and the store before the server
starts; the queries are 5 of those words, embedded by the packaged model.

    .venv/bin/python -m bench.search_api [--sizes 10000 100000] [--queries 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tortoise import Tortoise

from bench.harness import median, post_json, taskloom_process
from bench.search import query_words, unit_rows, words
from gateway.services import build_embedder, build_store
from infra.security.passwords import hash_password
from infra.settings.environment import settings_from_env
from models import Chunk, IngestionStatus, KnowledgeDocument, User
from models.database import tortoise_config
from retrieval.stores.base import IndexedChunk, SearchMode, SearchRequest

USERNAME, PASSWORD = "bench-search", "bench password 123"
BATCH = 2000
SEARCH = (
    "query Search($query: String!, $limit: Int!) "
    "{ search(query: $query, limit: $limit, mode: HYBRID) { score chunk { id content } } }"
)


async def _seed(env: dict[str, str], size: int, underneath: _Underneath) -> int:
    """Returns the owner's id."""
    settings = settings_from_env(env)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    user = await User.create(
        username=USERNAME,
        username_key=USERNAME,
        name="Bench",
        email="search@example.org",
        password_hash=await hash_password(PASSWORD, rounds=4),
    )
    document = await KnowledgeDocument.create(
        owner=user, filename="bench.txt", title="Bench", description="",
        content_type="text/plain", size=0, sha256="0" * 64,
        status=IngestionStatus.READY, progress=1.0, chunk_count=size,
    )  # fmt: skip
    texts = [" ".join(words(40)) for _ in range(size)]
    await Chunk.bulk_create(
        [
            Chunk(document_id=document.id, index=i, content=text, start=0, end=len(text))
            for i, text in enumerate(texts)
        ],
        batch_size=BATCH,
    )
    rows = await Chunk.filter(document_id=document.id).order_by("index").values("id")
    ids = [int(row["id"]) for row in rows]
    store = build_store(settings)
    await store.open(underneath.embedder.model_id, underneath.embedder.dimension)
    for begin in range(0, size, BATCH):
        vectors = unit_rows(min(BATCH, size - begin))
        await store.upsert(
            [
                IndexedChunk(ids[begin + i], document.id, user.id, texts[begin + i],
                             vector, title=document.title)
                for i, vector in enumerate(vectors)
            ]
        )  # fmt: skip
    await store.close()
    await Tortoise.close_connections()
    return int(user.id)


def _time_api(url: str, token: str, queries: list[str], limit: int) -> list[float]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(str(parts.hostname), parts.port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    samples = []
    for query in queries:
        body = json.dumps({"query": SEARCH, "variables": {"query": query, "limit": limit}})
        started = time.perf_counter()
        connection.request("POST", "/graphql", body, headers)
        answer = json.loads(connection.getresponse().read())
        samples.append(time.perf_counter() - started)
        assert "errors" not in answer and len(answer["data"]["search"]) == limit, answer
    connection.close()
    return samples


class _Underneath:
    """The store and the embedder, opened in this process on the server's own files."""

    def __init__(self, env: dict[str, str]) -> None:
        settings = settings_from_env(env)
        self.embedder = build_embedder(settings)
        self.store = build_store(settings)

    async def open(self) -> None:
        await self.store.open(self.embedder.model_id, self.embedder.dimension)

    async def time(self, owner_id: int, queries: list[str], limit: int) -> list[float]:
        samples = []
        for query in queries:
            started = time.perf_counter()
            vector = await self.embedder.embed_query(query)
            hits = await self.store.search(
                SearchRequest(owner_id, query, vector, limit=limit, mode=SearchMode.HYBRID)
            )
            samples.append(time.perf_counter() - started)
            assert len(hits) == limit
        return samples


def bench(size: int, query_count: int, rounds: int) -> None:
    queries = [" ".join(query_words(5)) for _ in range(query_count)]
    owner: list[int] = []
    underneath: list[_Underneath] = []

    def seed(env: dict[str, str]) -> None:
        started = time.perf_counter()
        underneath.append(_Underneath(env))
        owner.append(asyncio.run(_seed(env, size, underneath[0])))
        print(f"\n{size:,} chunks seeded in {time.perf_counter() - started:.1f} s")

    with taskloom_process(before_serve=seed) as server:
        login = post_json(f"{server.url}/auth/login", {"username": USERNAME, "password": PASSWORD})
        token = str(login["token"])
        store_side = underneath[0]
        loop = asyncio.new_event_loop()
        loop.run_until_complete(store_side.open())
        # Warm both sides (the server's caches, the model's first calls) before any timing.
        loop.run_until_complete(store_side.time(owner[0], queries[:20], 10))
        _time_api(server.url, token, queries[:20], 10)
        for limit in (10, 100):
            api_medians, base_medians, ratios = [], [], []
            for _ in range(rounds):
                base = median(loop.run_until_complete(store_side.time(owner[0], queries, limit)))
                api = median(_time_api(server.url, token, queries, limit))
                base_medians.append(base * 1e3)
                api_medians.append(api * 1e3)
                ratios.append(api / base)
            print(
                f"  search(limit: {limit:3}) HYBRID   API p50 {median(api_medians):6.2f} ms   "
                f"store + embedding p50 {median(base_medians):6.2f} ms   "
                f"x{median(ratios):5.2f}"
            )
        loop.run_until_complete(store_side.store.close())
        loop.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for size in args.sizes:
        bench(size, args.queries, args.rounds)


if __name__ == "__main__":
    main()
