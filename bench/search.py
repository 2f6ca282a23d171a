"""Search latency of the embedded store at 10k and 100k chunks, per mode, against baselines.

Synthetic chunks: 40-word texts drawn from a Zipf-distributed vocabulary (so posting lists have
realistic lengths), queries of 5 words past the 30 most frequent, and random unit vectors of 384
dimensions. The baselines run in the same
process on the same data: the bare numpy matrix-vector product + top-k for VECTOR, the bare FTS5
query on its own connection for KEYWORD. Ratios are store / baseline, medians over the queries.

    .venv/bin/python -m bench.search [--sizes 10000 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from retrieval.embedders import l2_normalise
from retrieval.stores.base import IndexedChunk, SearchMode, SearchRequest
from retrieval.stores.embedded import EmbeddedStore
from retrieval.stores.keyword_index import owner_table
from retrieval.stores.keyword_query import match_expression

DIMENSION = 384
VOCABULARY = 30_000
OWNER, SMALL_OWNER = 1, 2
rng = np.random.default_rng(7)


def words(count: int) -> list[str]:
    ranks = np.minimum(rng.zipf(1.2, size=count), VOCABULARY)
    return [f"w{rank}" for rank in ranks]


def query_words(count: int) -> list[str]:
    """Queries skip the head of the distribution, as stop-word removal does for real text."""
    ranks = np.exp(rng.uniform(np.log(30), np.log(VOCABULARY), size=count)).astype(int)
    return [f"w{rank}" for rank in ranks]


def unit_rows(count: int) -> np.ndarray:
    rows = rng.standard_normal((count, DIMENSION)).astype(np.float32)
    return l2_normalise(rows)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


async def fill(store: EmbeddedStore, size: int, owner: int, first_id: int) -> None:
    batch = 2000
    for begin in range(0, size, batch):
        count = min(batch, size - begin)
        vectors = unit_rows(count)
        await store.upsert(
            [
                IndexedChunk(
                    first_id + begin + i, (first_id + begin + i) // 10, owner,
                    " ".join(words(40)), vectors[i], title=" ".join(words(4)),
                )
                for i in range(count)
            ]
        )  # fmt: skip


async def time_store(store, owner: int, queries, mode: SearchMode) -> list[float]:
    samples = []
    for text, vector in queries:
        started = time.perf_counter()
        await store.search(SearchRequest(owner, text, vector, limit=10, mode=mode))
        samples.append(time.perf_counter() - started)
    return samples


def time_numpy(matrix: np.ndarray, queries) -> list[float]:
    samples = []
    for _text, vector in queries:
        started = time.perf_counter()
        scores = matrix @ vector
        top = np.argpartition(-scores, 100)[:100]
        top[np.argsort(-scores[top])]
        samples.append(time.perf_counter() - started)
    return samples


def time_fts(path: Path, owner: int, queries) -> list[float]:
    db = sqlite3.connect(path)
    table = owner_table(owner)
    sql = f"SELECT rowid, bm25({table}) FROM {table} WHERE {table} MATCH ? ORDER BY 2 LIMIT 100"  # noqa: S608
    samples = []
    for text, _vector in queries:
        expression = match_expression(text)
        started = time.perf_counter()
        db.execute(sql, (expression,)).fetchall()
        samples.append(time.perf_counter() - started)
    db.close()
    return samples


def report(label: str, samples: list[float], baseline: list[float] | None = None) -> None:
    p50, p99 = percentiles(samples)
    line = f"  {label:34} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms"
    if baseline is not None:
        b50, b99 = percentiles(baseline)
        line += f"   x{p50 / b50:5.2f} (p50)  x{p99 / b99:5.2f} (p99)"
    print(line)


async def bench(size: int, query_count: int) -> None:
    queries = [(" ".join(query_words(5)), vector) for vector in unit_rows(query_count)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        store = EmbeddedStore(path)
        await store.open("bench-random", DIMENSION)
        started = time.perf_counter()
        await fill(store, size, OWNER, 1)
        await fill(store, 1000, SMALL_OWNER, size + 1)
        print(
            f"{size:,} chunks for one owner (+1,000 for another): indexed in "
            f"{time.perf_counter() - started:.1f} s"
        )
        await store.search(SearchRequest(OWNER, "w1", queries[0][1]))  # loads the owner's matrix
        matrix = store._owners[OWNER]._vectors[:size].copy()  # the same rows, for the baseline
        keyword_base = time_fts(path, OWNER, queries)
        vector_base = time_numpy(matrix, queries)
        report("baseline: FTS5 query alone", keyword_base)
        report("baseline: numpy matmul + top-k", vector_base)
        report(
            "KEYWORD (vs FTS5 alone)",
            await time_store(store, OWNER, queries, SearchMode.KEYWORD),
            keyword_base,
        )
        report(
            "VECTOR (vs numpy alone)",
            await time_store(store, OWNER, queries, SearchMode.VECTOR),
            vector_base,
        )
        hybrid = await time_store(store, OWNER, queries, SearchMode.HYBRID)
        report(
            "HYBRID (vs FTS5 + numpy)",
            hybrid,
            [k + v for k, v in zip(keyword_base, vector_base, strict=True)],
        )
        small = await time_store(store, SMALL_OWNER, queries, SearchMode.HYBRID)
        report("HYBRID, owner with 1,000 chunks", small)
        await store.close()  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    for size in args.sizes:
        asyncio.run(bench(size, args.queries))


if __name__ == "__main__":
    main()
