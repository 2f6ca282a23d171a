from __future__ import annotations

import numpy as np
import pytest

from retrieval.embedders import Vector, l2_normalise
from retrieval.stores.vector_index import VectorIndex


def unit(*values: float) -> Vector:
    row: Vector = l2_normalise(np.array([values], dtype=np.float32))[0]
    return row


def test_search_returns_the_nearest_by_cosine_best_first() -> None:
    index = VectorIndex(2, capacity=1)  # grows past its capacity
    index.upsert([10, 11, 12], [1, 1, 2], np.stack([unit(1, 0), unit(0, 1), unit(1, 1)]))
    hits = index.search(unit(1, 0.1), k=2)
    assert [chunk for chunk, _ in hits] == [10, 12]
    assert hits[0][1] == pytest.approx(float(unit(1, 0) @ unit(1, 0.1)))
    assert len(index) == 3


def test_upsert_replaces_by_chunk_id() -> None:
    index = VectorIndex(2)
    index.upsert([1], [7], np.stack([unit(1, 0)]))
    index.upsert([1], [8], np.stack([unit(0, 1)]))
    assert len(index) == 1
    assert index.document_of(1) == 8
    [(found, score)] = index.search(unit(0, 1), k=1)
    assert found == 1 and score == pytest.approx(1.0)


def test_removal_keeps_the_other_rows_findable() -> None:
    rng = np.random.default_rng(3)
    vectors = l2_normalise(rng.normal(size=(50, 8)).astype(np.float32))
    index = VectorIndex(8)
    index.upsert(list(range(50)), [i % 5 for i in range(50)], vectors)
    assert index.remove([chunk for chunk in range(50) if chunk % 5 == 2]) == 10
    assert index.remove([0, 1, 999]) == 2
    assert len(index) == 38
    for chunk in (3, 4, 49):
        assert index.search(vectors[chunk], k=1)[0][0] == chunk
    assert 12 not in index and 0 not in index
    assert all(index.document_of(c) != 2 for c, _ in index.search(vectors[0], k=50))


def test_document_filter_and_small_k() -> None:
    index = VectorIndex(2)
    index.upsert([1, 2, 3], [100, 200, 300], np.stack([unit(1, 0), unit(1, 0.2), unit(0, 1)]))
    assert [c for c, _ in index.search(unit(1, 0), k=5, document_ids=[200, 300])] == [2, 3]
    assert index.search(unit(1, 0), k=0) == []
    assert VectorIndex(2).search(unit(1, 0), k=3) == []


def test_shapes_are_checked() -> None:
    index = VectorIndex(3)
    with pytest.raises(ValueError):
        index.upsert([1, 2], [1, 1], np.zeros((1, 3), dtype=np.float32))
    with pytest.raises(ValueError):
        index.search(np.zeros(2, dtype=np.float32), k=1)
