"""Ranking metrics for retrieval benchmarks (binary or graded relevance judgements).

`ranked` is a list of document ids, best first; `relevant` maps a relevant id to its grade (> 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence


def dcg_at_k(ranked: Sequence[str], relevant: Mapping[str, float], k: int) -> float:
    return sum(
        relevant.get(doc_id, 0.0) / math.log2(rank + 2) for rank, doc_id in enumerate(ranked[:k])
    )


def ndcg_at_k(ranked: Sequence[str], relevant: Mapping[str, float], k: int = 10) -> float:
    """Normalised DCG with the linear gain BEIR uses (trec_eval's `ndcg_cut`)."""
    ideal = dcg_at_k(sorted(relevant, key=lambda d: -relevant[d]), relevant, k)
    if ideal == 0.0:
        return 0.0
    return dcg_at_k(ranked, relevant, k) / ideal


def recall_at_k(ranked: Sequence[str], relevant: Mapping[str, float], k: int = 100) -> float:
    wanted = {doc_id for doc_id, grade in relevant.items() if grade > 0}
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranked[:k])) / len(wanted)


def mean(values: Iterable[float]) -> float:
    collected = list(values)
    return sum(collected) / len(collected) if collected else 0.0


def dedupe_keep_order(ids: Iterable[str]) -> list[str]:
    """Collapses chunk-level hits to document level: the first (best) hit of a document wins."""
    seen: set[str] = set()
    ordered: list[str] = []
    for doc_id in ids:
        if doc_id not in seen:
            seen.add(doc_id)
            ordered.append(doc_id)
    return ordered
