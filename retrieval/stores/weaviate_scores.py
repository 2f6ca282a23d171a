"""Turning Weaviate's answers into per-list scores.

Weaviate's relative-score fusion min-max normalises each list over its candidates, weights it
(keyword: 1 - alpha, vector: alpha) and sums. It reports only the fused `score`; the weighted
per-list parts are in `explain_score`, one line per list, written by the server as
``Hybrid (Result Set keyword) Document <uuid>: original score 2.1, normalized score: 0.35``.
Dividing a part by its weight gives back the normalised list score.

Single-list searches (bm25, near_vector) keep the raw score (BM25; cosine similarity) as
`score`, and report the list's score normalised the same way, min-max over the hits returned.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import NamedTuple

_HYBRID_PART = re.compile(
    r"Result Set '?(?P<set>keyword|vector)'?\)? Document [^:]*: "
    r"original score (?P<original>[^,]+), normalized score: (?P<normalized>[-+0-9.eE]+|NaN)"
)


class HybridParts(NamedTuple):
    keyword: float | None
    vector: float | None


def parse_hybrid_explain(explain: str | None, alpha: float) -> HybridParts:
    """The normalised keyword and vector scores of one hybrid hit, None where the hit was not in
    that list or the list had no weight (its normalised score cannot be recovered then)."""
    if not explain:
        return HybridParts(None, None)
    weighted: dict[str, float] = {}
    for match in _HYBRID_PART.finditer(explain):
        value = float(match["normalized"])
        if math.isfinite(value):
            weighted[match["set"]] = value
    return HybridParts(
        keyword=_unweight(weighted.get("keyword"), 1.0 - alpha),
        vector=_unweight(weighted.get("vector"), alpha),
    )


def _unweight(weighted: float | None, weight: float) -> float | None:
    if weighted is None or weight <= 0.0:
        return None
    return _clamp(weighted / weight)


def min_max(values: Sequence[float]) -> list[float]:
    """Min-max normalisation as Weaviate's relative-score fusion does it: all equal gives 1.0."""
    if not values:
        return []
    low, high = min(values), max(values)
    if high == low:
        return [1.0] * len(values)
    return [_clamp((value - low) / (high - low)) for value in values]


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))
