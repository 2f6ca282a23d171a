"""Fusion of a keyword result list and a vector result list into one ranking (pure functions).

Inputs are raw scores by key, higher is better (so BM25 from FTS5, which is lower-is-better, is
negated first). Both methods also report each list's min-max normalised score, so that a caller
can show why a hit ranked where it did.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

RRF_K = 60


class FusionMethod(enum.Enum):
    RELATIVE_SCORE = "relative_score"
    RECIPROCAL_RANK = "reciprocal_rank"


@dataclass(frozen=True, slots=True)
class FusedHit:
    key: int
    score: float
    keyword_score: float | None  # normalised to [0, 1]; None when absent from the keyword list
    vector_score: float | None


def min_max(scores: Mapping[int, float]) -> dict[int, float]:
    """Scales to [0, 1] over the candidates given; a list whose scores are all equal maps to 1."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high == low:
        return dict.fromkeys(scores, 1.0)
    span = high - low
    return {key: (value - low) / span for key, value in scores.items()}


def ranks(scores: Mapping[int, float]) -> dict[int, int]:
    """1-based ranks, best first; ties keep the mapping's order."""
    ordered = sorted(scores, key=lambda key: -scores[key])
    return {key: position for position, key in enumerate(ordered, start=1)}


def _ordered(hits: list[FusedHit]) -> list[FusedHit]:
    # Ties broken by key so that results are deterministic.
    return sorted(hits, key=lambda hit: (-hit.score, hit.key))


def _check_alpha(alpha: float) -> None:
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be within [0, 1], got {alpha}")


def relative_score_fusion(
    keyword: Mapping[int, float], vector: Mapping[int, float], alpha: float
) -> list[FusedHit]:
    """score = alpha * normalised vector score + (1 - alpha) * normalised keyword score; a key
    missing from a list gets 0 from it (Weaviate's `relativeScoreFusion`)."""
    _check_alpha(alpha)
    keyword_norm, vector_norm = min_max(keyword), min_max(vector)
    hits = []
    for key in keyword_norm.keys() | vector_norm.keys():
        k, v = keyword_norm.get(key), vector_norm.get(key)
        score = alpha * (v or 0.0) + (1.0 - alpha) * (k or 0.0)
        hits.append(FusedHit(key, score, k, v))
    return _ordered(hits)


def reciprocal_rank_fusion(
    keyword: Mapping[int, float], vector: Mapping[int, float], alpha: float, k: int = RRF_K
) -> list[FusedHit]:
    """score = alpha / (k + vector rank) + (1 - alpha) / (k + keyword rank), ranks from 1."""
    _check_alpha(alpha)
    keyword_rank, vector_rank = ranks(keyword), ranks(vector)
    keyword_norm, vector_norm = min_max(keyword), min_max(vector)
    hits = []
    for key in keyword_rank.keys() | vector_rank.keys():
        score = 0.0
        if key in vector_rank:
            score += alpha / (k + vector_rank[key])
        if key in keyword_rank:
            score += (1.0 - alpha) / (k + keyword_rank[key])
        hits.append(FusedHit(key, score, keyword_norm.get(key), vector_norm.get(key)))
    return _ordered(hits)


def fuse(
    method: FusionMethod,
    keyword: Mapping[int, float],
    vector: Mapping[int, float],
    alpha: float,
) -> list[FusedHit]:
    """The ends of `alpha` are one list alone, as in Weaviate: 0 is words only, 1 is meaning
    only, with no zero-scored hits from the list that weighs nothing."""
    if alpha == 0.0:
        vector = {}
    elif alpha == 1.0:
        keyword = {}
    if method is FusionMethod.RECIPROCAL_RANK:
        return reciprocal_rank_fusion(keyword, vector, alpha)
    return relative_score_fusion(keyword, vector, alpha)
