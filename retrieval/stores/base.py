"""The interface every chunk store implements (the embedded store, Weaviate).

Ids are the service's own integer primary keys; a store never invents them. Vectors are supplied
by the caller (float32, L2-normalised), so that every store holds vectors of one known model.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]


class SearchMode(enum.Enum):
    HYBRID = "hybrid"
    KEYWORD = "keyword"
    VECTOR = "vector"


class StoreUnavailable(Exception):
    """The store cannot be reached or answered with an error; the caller may retry later."""


@dataclass(frozen=True, slots=True)
class IndexedChunk:
    chunk_id: int
    document_id: int
    owner_id: int
    text: str
    vector: Vector
    # The document's title (and description, if wanted): keyword search weighs it above the text.
    title: str = ""
    # When given, keyword search indexes this instead of `text`: the chunk with its surroundings
    # (`retrieval.chunking.context_window`), so a small chunk, sharp for its vector, is still
    # found by the words around it. The vector always comes from the chunk alone.
    context: str = ""


@dataclass(frozen=True, slots=True)
class ScoredChunk:
    """One search hit. `score` is the fused score in the mode asked for; the per-list scores are
    the normalised keyword and vector scores that went into it (None when the chunk was not in
    that list)."""

    chunk_id: int
    document_id: int
    score: float
    keyword_score: float | None
    vector_score: float | None


@dataclass(frozen=True, slots=True)
class SearchRequest:
    owner_id: int
    text: str
    vector: Vector | None  # None only in KEYWORD mode
    limit: int = 10
    mode: SearchMode = SearchMode.HYBRID
    alpha: float | None = None  # weight of the vector list in HYBRID; None: the store's default
    document_ids: Sequence[int] | None = None  # restrict to these documents


class ChunkStore(Protocol):
    async def open(self, model_id: str, dimension: int) -> bool:
        """Prepare the store for vectors of `model_id`. Returns True when the store held vectors of
        another model (or another dimension) and was emptied: the caller must re-index."""

    async def upsert(self, chunks: Sequence[IndexedChunk]) -> None:
        """Insert or replace chunks by `chunk_id` (idempotent: a resumed job never duplicates)."""

    async def delete_document(self, owner_id: int, document_id: int) -> None: ...

    async def search(self, request: SearchRequest) -> list[ScoredChunk]: ...

    async def ping(self) -> None:
        """Raise StoreUnavailable when the store cannot serve."""

    async def close(self) -> None: ...
