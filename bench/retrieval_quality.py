"""SciFact through the retrieval engine itself: chunk -> embed -> EmbeddedStore -> search.

Prints nDCG@10 and recall@100 on the 809 train queries for KEYWORD, VECTOR and HYBRID (chunk hits
aggregated to documents by their best chunk), the ingest time and the median search latency.

    .venv/bin/python -m bench.retrieval_quality [--embedder minilm] [--alpha 0.5] ...

Chunk embeddings are cached in /tmp (keyed by model and chunk texts), so that a re-run with other
search settings does not re-embed the corpus; `--no-cache` measures embedding too.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from retrieval.chunking import DEFAULT_CONTEXT_CHARS, DEFAULT_MAX_TOKENS, DEFAULT_OVERLAP_TOKENS
from retrieval.embedders import make_embedder
from retrieval.evaluation import dedupe_keep_order, mean, ndcg_at_k, recall_at_k
from retrieval.fusion import FusionMethod
from retrieval.indexing import prepare_chunks, token_spans_of
from retrieval.stores.base import IndexedChunk, SearchMode, SearchRequest
from retrieval.stores.embedded import EmbeddedStore

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact"
FALLBACK_DATA = Path("/work/shared/data/scifact")
OWNER = 1
RECALL_DEPTH = 300  # chunks read to rank 100 documents


def load(
    data: Path,
) -> tuple[list[dict[str, str]], list[dict[str, str]], dict[str, dict[str, float]]]:
    corpus = [json.loads(line) for line in (data / "corpus.jsonl").open()]
    queries = [json.loads(line) for line in (data / "queries_train.jsonl").open()]
    qrels: dict[str, dict[str, float]] = {}
    for line in (data / "qrels_train.tsv").read_text().splitlines()[1:]:
        query_id, doc_id, grade = line.split("\t")
        qrels.setdefault(query_id, {})[doc_id] = float(grade)
    return corpus, [q for q in queries if q["_id"] in qrels], qrels


def embed_cached(embedder, texts: list[str], use_cache: bool) -> tuple[np.ndarray, float]:
    """Vectors of `texts` and the seconds spent embedding (0 when they came from the cache)."""
    digest = hashlib.sha256(embedder.model_id.encode())
    for text in texts:
        digest.update(hashlib.sha256(text.encode()).digest())
    path = Path(tempfile.gettempdir()) / f"taskloom-bench-{digest.hexdigest()[:20]}.npy"
    if use_cache and path.exists():
        return np.load(path), 0.0
    started = time.perf_counter()
    vectors = asyncio.run(embedder.embed_documents(texts)) if texts else np.zeros((0, 1))
    elapsed = time.perf_counter() - started
    np.save(path, vectors)
    return vectors, elapsed


def chunk_corpus(corpus, embedder, max_tokens: int, overlap: int, context: int):
    """(chunk_id, doc index, title, embedding input, chunk text, keyword context) per chunk."""
    spans = token_spans_of(embedder)
    chunks: list[tuple[int, int, str, str, str, str]] = []
    for doc_index, doc in enumerate(corpus):
        for prepared in prepare_chunks(
            doc["text"], doc["title"], token_spans=spans, max_tokens=max_tokens,
            overlap_tokens=overlap, context_chars=context,
        ):  # fmt: skip
            chunks.append(
                (len(chunks) + 1, doc_index, doc["title"], prepared.embedding_input,
                 prepared.span.text, prepared.context)
            )  # fmt: skip
    return chunks


async def ingest(store: EmbeddedStore, chunks, vectors: np.ndarray) -> float:
    started = time.perf_counter()
    batch = 512
    for begin in range(0, len(chunks), batch):
        await store.upsert(
            [
                IndexedChunk(
                    cid, doc_index + 1, OWNER, text, vectors[begin + i], title=title, context=around
                )
                for i, (cid, doc_index, title, _embedded, text, around) in enumerate(
                    chunks[begin : begin + batch]
                )
            ]
        )
    return time.perf_counter() - started


async def evaluate(store, corpus, queries, qrels, query_vectors, mode: SearchMode, alpha):
    """Chunk hits become documents by their best chunk, so a search must read more chunks than
    the documents it ranks: nDCG@10 from 100 chunks (the store's default candidate depth, so the
    order is the one a search of limit 10 gets), recall@100 from 300."""
    ndcgs, recalls, latencies = [], [], []
    for query, vector in zip(queries, query_vectors, strict=True):
        relevant = qrels[query["_id"]]
        request = SearchRequest(OWNER, query["text"], vector, limit=100, mode=mode, alpha=alpha)
        started = time.perf_counter()
        hits = await store.search(request)
        latencies.append(time.perf_counter() - started)
        ranked = dedupe_keep_order(corpus[hit.document_id - 1]["_id"] for hit in hits)
        ndcgs.append(ndcg_at_k(ranked, relevant, 10))
        deep = await store.search(replace(request, limit=RECALL_DEPTH))
        ranked = dedupe_keep_order(corpus[hit.document_id - 1]["_id"] for hit in deep)
        recalls.append(recall_at_k(ranked, relevant, 100))
    return mean(ndcgs), mean(recalls), statistics.median(latencies) * 1000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA if DATA.exists() else FALLBACK_DATA)
    parser.add_argument("--embedder", default="minilm", choices=["minilm", "wordllama"])
    parser.add_argument("--model-cache", type=Path, default=Path(tempfile.gettempdir()) / "minilm")
    parser.add_argument("--max-tokens", type=int, default=DEFAULT_MAX_TOKENS)
    parser.add_argument("--overlap", type=int, default=DEFAULT_OVERLAP_TOKENS)
    parser.add_argument(
        "--context", type=int, default=DEFAULT_CONTEXT_CHARS, help="0: index the chunk alone"
    )
    parser.add_argument(
        "--fusion", default="relative_score", choices=[m.value for m in FusionMethod]
    )
    parser.add_argument("--alpha", type=float, default=None)
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--title-weight", type=float, default=2.0)
    parser.add_argument("--no-cache", action="store_true")
    return parser.parse_args()


async def run(args: argparse.Namespace) -> None:
    corpus, queries, qrels = load(args.data)
    options = {"cache_dir": args.model_cache} if args.embedder == "minilm" else {}
    embedder = make_embedder(args.embedder, **options)
    started = time.perf_counter()
    chunks = chunk_corpus(corpus, embedder, args.max_tokens, args.overlap, args.context)
    chunking = time.perf_counter() - started
    embed_texts = [chunk[3] for chunk in chunks]
    vectors, embedding = await asyncio.to_thread(
        embed_cached, embedder, embed_texts, not args.no_cache
    )
    query_vectors, _ = await asyncio.to_thread(
        embed_cached, embedder, [q["text"] for q in queries], not args.no_cache
    )
    with tempfile.TemporaryDirectory() as folder:
        store = EmbeddedStore(
            Path(folder) / "store.sqlite3",
            fusion=FusionMethod(args.fusion),
            candidates=args.candidates,
            title_weight=args.title_weight,
            **({"alpha": args.alpha} if args.alpha is not None else {}),
        )
        await store.open(embedder.model_id, embedder.dimension)
        indexing = await ingest(store, chunks, vectors)
        print(f"{len(corpus)} documents -> {len(chunks)} chunks; {len(queries)} queries")
        print(
            f"embedder {embedder.model_id}, fusion {args.fusion}, alpha {store.alpha}, "
            f"candidates {args.candidates}, title weight {args.title_weight}, "
            f"chunks of {args.max_tokens} tokens (overlap {args.overlap}), "
            f"keyword context {args.context} characters"
        )
        embed_note = f"{embedding:.1f} s" if embedding else "cached"
        rate = f", {len(chunks) / embedding:.0f} chunks/s" if embedding else ""
        print(
            f"ingest: chunking {chunking:.1f} s, embedding {embed_note}{rate}, "
            f"indexing {indexing:.1f} s"
        )
        print(f"{'mode':8} {'nDCG@10':>8} {'R@100':>7} {'p50 ms':>7}")
        for mode in (SearchMode.KEYWORD, SearchMode.VECTOR, SearchMode.HYBRID):
            ndcg, recall, p50 = await evaluate(
                store, corpus, queries, qrels, query_vectors, mode, args.alpha
            )
            print(f"{mode.name:8} {ndcg:8.4f} {recall:7.4f} {p50:7.2f}")
        await store.close()


if __name__ == "__main__":
    asyncio.run(run(parse_args()))
