"""One face for the service: cut text into chunks, embed and index them, search them.

The service owns chunk ids (its database rows); this module turns text into vectors in batches
and keeps the store filled with vectors of one model only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.chunking import (
    CHUNK_LOOKBEHIND,
    CONTEXT_REACH,
    DEFAULT_MAX_TOKENS,
    DEFAULT_OVERLAP_TOKENS,
    chunk_reach,
)
from retrieval.embedders import Embedder, Matrix
from retrieval.indexing import (
    PreparedChunk,
    iter_prepared_chunks,
    prepare_chunks,
    token_spans_of,
)
from retrieval.stores.base import ChunkStore, IndexedChunk, ScoredChunk, SearchMode, SearchRequest

Progress = Callable[[int, int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ChunkToIndex:
    chunk_id: int
    text: str  # what is stored and shown
    embedding_input: str  # what is embedded (the title line, then the text)
    context: str = ""  # what keyword search indexes besides the text


class Retriever:
    def __init__(
        self,
        embedder: Embedder,
        store: ChunkStore,
        *,
        chunk_tokens: int = DEFAULT_MAX_TOKENS,
        chunk_overlap: int = DEFAULT_OVERLAP_TOKENS,
        batch_size: int = 64,
    ) -> None:
        self.embedder = embedder
        self.store = store
        self.chunk_tokens = chunk_tokens
        self.chunk_overlap = chunk_overlap
        self.batch_size = batch_size
        # Called once the store turns out to have been emptied for this model: re-index.
        self.on_emptied: Callable[[], Awaitable[object]] | None = None
        self._open = False

    async def open(self) -> None:
        """Opens the store for this embedder's model, once; raises StoreUnavailable when the
        store cannot be reached (every later call tries again)."""
        if self._open:
            return
        emptied = await self.store.open(self.embedder.model_id, self.embedder.dimension)
        self._open = True
        if emptied and self.on_emptied is not None:
            await self.on_emptied()

    def prepare(self, title: str, text: str) -> list[PreparedChunk]:
        """Chunks of the text, cut by the embedder's own tokens when it has a tokenizer, each with
        its embedding input and keyword context. CPU-bound: run it off the event loop."""
        return prepare_chunks(
            text,
            title,
            token_spans=token_spans_of(self.embedder),
            max_tokens=self.chunk_tokens,
            overlap_tokens=self.chunk_overlap,
        )

    def prepare_window(
        self, title: str, text: str, *, start: int, first_index: int
    ) -> Iterator[PreparedChunk]:
        """The chunks of `text[start:]`, lazily, numbered from `first_index`; `text[:start]` is
        context only. CPU-bound: run it off the event loop."""
        return iter_prepared_chunks(
            text,
            title,
            start=start,
            first_index=first_index,
            token_spans=token_spans_of(self.embedder),
            max_tokens=self.chunk_tokens,
            overlap_tokens=self.chunk_overlap,
        )

    # A window of a text chunks like the whole text when it holds this much before its first
    # chunk (the chunker's look-behind, the keyword context) ...
    before_chars = max(CONTEXT_REACH, CHUNK_LOOKBEHIND)
    # ... and this much after a chunk's end (what decides its end and the next chunk's start,
    # and its keyword context).
    after_chars = chunk_reach() + CONTEXT_REACH

    async def embed(
        self, chunks: Sequence[ChunkToIndex], progress: Progress | None = None
    ) -> list[Matrix]:
        """Vectors of the chunks, in batches of `batch_size` chunks. A text that repeats (a file
        built of one pattern cuts into the same chunk again and again) is embedded once."""
        inputs = [chunk.embedding_input for chunk in chunks]
        if not inputs:
            return []
        distinct = list(dict.fromkeys(inputs))
        rows: list[Matrix] = []
        for start in range(0, len(distinct), self.batch_size):
            rows.append(
                await self.embedder.embed_documents(distinct[start : start + self.batch_size])
            )
            if progress is not None:
                await progress(start + len(rows[-1]), len(distinct))
        vectors = np.concatenate(rows)
        row_of = {text: row for row, text in enumerate(distinct)}
        order = np.fromiter((row_of[text] for text in inputs), dtype=np.intp, count=len(inputs))
        return [
            vectors[order[start : start + self.batch_size]]
            for start in range(0, len(inputs), self.batch_size)
        ]

    async def index(
        self,
        *,
        owner_id: int,
        document_id: int,
        title: str,
        chunks: Sequence[ChunkToIndex],
        vectors: Sequence[Matrix],
        progress: Progress | None = None,
    ) -> None:
        await self.open()
        done = 0
        for batch_vectors in vectors:
            batch = chunks[done : done + len(batch_vectors)]
            await self.store.upsert(
                [
                    IndexedChunk(
                        chunk.chunk_id,
                        document_id,
                        owner_id,
                        chunk.text,
                        vector,
                        title=title,
                        context=chunk.context,
                    )
                    for chunk, vector in zip(batch, batch_vectors, strict=True)
                ]
            )
            done += len(batch)
            if progress is not None:
                await progress(done, len(chunks))

    async def search(
        self,
        owner_id: int,
        query: str,
        *,
        limit: int = 10,
        mode: SearchMode = SearchMode.HYBRID,
        alpha: float | None = None,
        document_ids: Sequence[int] | None = None,
    ) -> list[ScoredChunk]:
        await self.open()
        vector = None if mode is SearchMode.KEYWORD else await self.embedder.embed_query(query)
        request = SearchRequest(
            owner_id=owner_id,
            text=query,
            vector=vector,
            limit=limit,
            mode=mode,
            alpha=alpha,
            document_ids=document_ids,
        )
        return await self.store.search(request)

    async def delete_document(self, owner_id: int, document_id: int) -> None:
        await self.open()
        await self.store.delete_document(owner_id, document_id)

    async def close(self) -> None:
        await self.store.close()
