"""Exact cosine search over one owner's chunk vectors, held in a growable float32 matrix.

Rows are unit vectors, so a matrix-vector product gives the cosines. Appends are amortised (the
capacity doubles), deletes move the last rows into the holes, so neither copies the whole matrix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

IdArray = npt.NDArray[np.int64]
FloatMatrix = npt.NDArray[np.float32]


class VectorIndex:
    def __init__(self, dimension: int, capacity: int = 64) -> None:
        self.dimension = dimension
        self._vectors: FloatMatrix = np.zeros((capacity, dimension), dtype=np.float32)
        self._chunk_ids: IdArray = np.zeros(capacity, dtype=np.int64)
        self._document_ids: IdArray = np.zeros(capacity, dtype=np.int64)
        self._size = 0
        self._row_of: dict[int, int] = {}

    def __len__(self) -> int:
        return self._size

    def __contains__(self, chunk_id: object) -> bool:
        return chunk_id in self._row_of

    def document_of(self, chunk_id: int) -> int:
        return int(self._document_ids[self._row_of[chunk_id]])

    def _grow(self, needed: int) -> None:
        capacity = len(self._chunk_ids)
        if needed <= capacity:
            return
        while capacity < needed:
            capacity *= 2
        for name in ("_vectors", "_chunk_ids", "_document_ids"):
            old = getattr(self, name)
            new = np.zeros((capacity, *old.shape[1:]), dtype=old.dtype)
            new[: self._size] = old[: self._size]
            setattr(self, name, new)

    def upsert(
        self, chunk_ids: Sequence[int], document_ids: Sequence[int], vectors: FloatMatrix
    ) -> None:
        """Adds rows, replacing those whose chunk id is already present."""
        if vectors.shape != (len(chunk_ids), self.dimension) or len(document_ids) != len(chunk_ids):
            raise ValueError(
                f"expected {len(chunk_ids)} vectors of dimension {self.dimension}, "
                f"got {vectors.shape}"
            )
        self._grow(self._size + len(chunk_ids))
        for chunk_id, document_id, vector in zip(chunk_ids, document_ids, vectors, strict=True):
            row = self._row_of.get(chunk_id)
            if row is None:
                row = self._size
                self._size += 1
                self._row_of[chunk_id] = row
                self._chunk_ids[row] = chunk_id
            self._document_ids[row] = document_id
            self._vectors[row] = vector

    def remove(self, chunk_ids: Iterable[int]) -> int:
        removed = 0
        for chunk_id in chunk_ids:
            row = self._row_of.pop(chunk_id, None)
            if row is None:
                continue
            last = self._size - 1
            if row != last:
                moved = int(self._chunk_ids[last])
                self._vectors[row] = self._vectors[last]
                self._chunk_ids[row] = moved
                self._document_ids[row] = self._document_ids[last]
                self._row_of[moved] = row
            self._size = last
            removed += 1
        return removed

    def search(
        self, query: FloatMatrix, k: int, document_ids: Sequence[int] | None = None
    ) -> list[tuple[int, float]]:
        """The k most similar chunks as (chunk id, cosine), best first."""
        if query.shape != (self.dimension,):
            raise ValueError(f"query has shape {query.shape}, expected ({self.dimension},)")
        if self._size == 0 or k <= 0:
            return []
        chunk_ids = self._chunk_ids[: self._size]
        if document_ids is None:
            scores = self._vectors[: self._size] @ query
        else:
            rows = np.flatnonzero(np.isin(self._document_ids[: self._size], document_ids))
            chunk_ids = chunk_ids[rows]
            scores = self._vectors[rows] @ query
        if len(scores) > k:
            top = np.argpartition(-scores, k - 1)[:k]
            top = top[np.argsort(-scores[top], kind="stable")]
        else:
            top = np.argsort(-scores, kind="stable")
        return [(int(chunk_ids[i]), float(scores[i])) for i in top]
