"""The embedder interface, and a base that batches a blocking model and runs it off the loop."""

from __future__ import annotations

import abc
import asyncio
import threading
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]
Vector = npt.NDArray[np.float32]


class EmbeddingFailed(Exception):
    """The model or the remote endpoint could not embed the texts."""


@runtime_checkable
class Embedder(Protocol):
    """Vectors are float32 and L2-normalised, so a dot product is a cosine similarity."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    async def embed_documents(self, texts: Sequence[str]) -> Matrix:
        """One row per text, in the order given."""

    async def embed_query(self, text: str) -> Vector: ...


def l2_normalise(matrix: npt.NDArray[np.floating]) -> Matrix:
    rows = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    # An all-zero row (e.g. text of unknown words only) stays zero instead of becoming NaN.
    norms[norms == 0.0] = 1.0
    return np.ascontiguousarray(rows / norms, dtype=np.float32)


class ThreadedEmbedder(abc.ABC):
    """Runs a synchronous model in a worker thread, one batch at a time.

    Texts are sorted by length before batching so that a batch pads to similar lengths, and the rows
    are put back in the caller's order. A lock serialises model calls: on a small machine two
    concurrent batches only fight over the same cores.
    """

    def __init__(self, *, batch_size: int) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.batch_size = batch_size
        self._lock = threading.Lock()

    @property
    @abc.abstractmethod
    def model_id(self) -> str: ...

    @property
    @abc.abstractmethod
    def dimension(self) -> int: ...

    @abc.abstractmethod
    def _encode_batch(self, texts: list[str]) -> npt.NDArray[np.floating]:
        """Blocking: one row per text, not necessarily normalised."""

    def encode_sync(self, texts: Sequence[str]) -> Matrix:
        """The blocking path, for scripts and worker threads that are not on an event loop."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for begin in range(0, len(order), self.batch_size):
            picked = order[begin : begin + self.batch_size]
            with self._lock:
                rows = self._encode_batch([texts[i] for i in picked])
            if rows.shape != (len(picked), self.dimension):
                raise EmbeddingFailed(
                    f"{self.model_id} returned shape {rows.shape} for {len(picked)} texts"
                )
            out[picked] = l2_normalise(rows)
        return out

    async def embed_documents(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        chunks: list[Matrix] = []
        # A thread hop per group of batches: one huge call never holds an executor thread for long.
        for begin in range(0, len(texts), self.batch_size * 8):
            part = list(texts[begin : begin + self.batch_size * 8])
            chunks.append(await asyncio.to_thread(self.encode_sync, part))
        return np.concatenate(chunks) if len(chunks) > 1 else chunks[0]

    async def embed_query(self, text: str) -> Vector:
        rows = await self.embed_documents([text])
        vector: Vector = rows[0]
        return vector
