from __future__ import annotations

import math

import pytest

from retrieval.evaluation import dedupe_keep_order, mean, ndcg_at_k, recall_at_k


def test_ndcg_is_one_for_the_ideal_order_and_discounts_later_hits() -> None:
    relevant = {"a": 1.0, "b": 1.0}
    assert ndcg_at_k(["a", "b", "x"], relevant, 10) == pytest.approx(1.0)
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at_k(["x", "a", "b"], relevant, 10) == pytest.approx(
        (1 / math.log2(3) + 1 / math.log2(4)) / ideal
    )
    assert ndcg_at_k(["x", "y"], relevant, 10) == 0.0
    assert ndcg_at_k(["x", "a"], relevant, 1) == 0.0
    assert ndcg_at_k(["a"], {}, 10) == 0.0


def test_recall_counts_relevant_found_within_k() -> None:
    relevant = {"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0}
    assert recall_at_k(["a", "x", "c"], relevant, 100) == 0.5
    assert recall_at_k(["a", "x", "c"], relevant, 2) == 0.25
    assert recall_at_k(["a"], {}, 100) == 0.0


def test_helpers() -> None:
    assert dedupe_keep_order(["d1", "d2", "d1", "d3", "d2"]) == ["d1", "d2", "d3"]
    assert mean([1.0, 2.0]) == 1.5
    assert mean([]) == 0.0
