"""SciFact through the service: every abstract uploaded over REST and ingested by the service's
own workers, every train query sent to GraphQL `search`; nDCG@10 and recall@100 for KEYWORD,
VECTOR and HYBRID (chunk hits collapsed to their best chunk per document), the ingest time and
the median search latency.

    python bench/retrieval.py [--embedder minilm|wordllama] [--documents N] [--queries N]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from gateway.app import create_app
from models import IngestionStatus, KnowledgeDocument
from models.migrate import apply_migrations
from retrieval.evaluation import dedupe_keep_order, mean, ndcg_at_k, recall_at_k
from tests.conftest import make_settings
from tests.support.live_server import LiveServer

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact"
SEARCH = """query($q: String!, $mode: SearchMode!) {
  search(query: $q, limit: 100, mode: $mode) { chunk { document { filename } } }
}"""


def load(documents: int | None, queries: int | None):  # type: ignore[no-untyped-def]
    corpus = [json.loads(line) for line in (DATA / "corpus.jsonl").open()][:documents]
    kept = {doc["_id"] for doc in corpus}
    qrels: dict[str, dict[str, float]] = defaultdict(dict)
    for line in list((DATA / "qrels_train.tsv").open())[1:]:
        query_id, doc_id, score = line.split("\t")
        if doc_id in kept:
            qrels[query_id][doc_id] = float(score)
    questions = [json.loads(line) for line in (DATA / "queries_train.jsonl").open()]
    questions = [q for q in questions if q["_id"] in qrels][:queries]
    return corpus, questions, qrels


async def ingest(http: httpx.AsyncClient, headers: dict[str, str], corpus: list[dict]) -> float:
    started = time.perf_counter()
    gate = asyncio.Semaphore(8)

    async def upload(doc: dict) -> None:
        async with gate:
            response = await http.post(
                "/api/documents",
                params={"title": doc["title"] or doc["_id"], "description": "SciFact abstract"},
                files={"file": (f"{doc['_id']}.txt", doc["text"].encode(), "text/plain")},
                headers=headers,
            )
            response.raise_for_status()

    await asyncio.gather(*(upload(doc) for doc in corpus))
    done = {IngestionStatus.READY, IngestionStatus.FAILED}
    while await KnowledgeDocument.exclude(status__in=done).exists():
        await asyncio.sleep(0.5)
    failed = await KnowledgeDocument.filter(status=IngestionStatus.FAILED).count()
    if failed:
        print(f"  {failed} document(s) failed to ingest")
    return time.perf_counter() - started


async def evaluate(http, headers, questions, qrels, mode: str) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    ndcgs, recalls, latencies = [], [], []
    for question in questions:
        started = time.perf_counter()
        response = await http.post(
            "/graphql",
            json={"query": SEARCH, "variables": {"q": question["text"], "mode": mode}},
            headers=headers,
        )
        latencies.append((time.perf_counter() - started) * 1000)
        hits = response.json()["data"]["search"]
        ranked = dedupe_keep_order(
            hit["chunk"]["document"]["filename"].removesuffix(".txt") for hit in hits
        )
        relevant = qrels[question["_id"]]
        ndcgs.append(ndcg_at_k(ranked, relevant, 10))
        recalls.append(recall_at_k(ranked, relevant, 100))
    return mean(ndcgs), mean(recalls), statistics.median(latencies)


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embedder", default="minilm")
    parser.add_argument("--documents", type=int, default=None)
    parser.add_argument("--queries", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2, help="ingestion workers")
    arguments = parser.parse_args()
    corpus, questions, qrels = load(arguments.documents, arguments.queries)
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        url = f"sqlite://{data / 'bench.sqlite3'}"
        await apply_migrations(url)
        settings = make_settings(data, url, max_upload_bytes=10_000_000)
        retrieval = dataclasses.replace(
            settings.retrieval, embedder=arguments.embedder, ingestion_workers=arguments.workers
        )
        settings = dataclasses.replace(settings, retrieval=retrieval)
        live = await LiveServer(create_app(settings)).start()
        async with httpx.AsyncClient(base_url=live.url, timeout=120) as http:
            account = {
                "username": "scifact",
                "name": "SciFact",
                "email": "s@example.org",
                "password": "scifact password",
            }
            token = (await http.post("/auth/register", json=account)).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            seconds = await ingest(http, headers, corpus)
            print(
                f"SciFact: {len(corpus)} documents, {len(questions)} train queries, "
                f"embedder {arguments.embedder}"
            )
            print(
                f"  ingest through the service: {seconds:.0f} s "
                f"({len(corpus) / seconds:.1f} documents/s)"
            )
            for mode in ("KEYWORD", "VECTOR", "HYBRID"):
                ndcg, recall, latency = await evaluate(http, headers, questions, qrels, mode)
                print(
                    f"  {mode:8} nDCG@10 {ndcg:.4f}   recall@100 {recall:.4f}   "
                    f"median search {latency:.1f} ms"
                )
        await live.stop()


if __name__ == "__main__":
    asyncio.run(main())
