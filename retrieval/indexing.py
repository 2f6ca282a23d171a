"""From a document's text to what an embedder and a store take, the same way for the service and
the benchmarks: chunks, the text each chunk is embedded from, and the keyword context of each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from retrieval.chunking import (
    DEFAULT_CONTEXT_CHARS,
    DEFAULT_MAX_TOKENS,
    DEFAULT_OVERLAP_TOKENS,
    MAX_CHUNK_CHARS,
    ChunkSpan,
    TokenSpans,
    context_window,
    iter_chunks,
)


@dataclass(frozen=True, slots=True)
class PreparedChunk:
    span: ChunkSpan  # index, offsets and text of the chunk: what the service stores and shows
    embedding_input: str  # what to embed: the title line, then the chunk
    context: str  # what keyword search indexes (IndexedChunk.context)


def embedding_input(title: str, chunk: str) -> str:
    """The document title leads each chunk, so a chunk far from the title still carries it."""
    title = " ".join(title.split())
    return f"{title}\n{chunk}" if title else chunk


def token_spans_of(embedder: object) -> TokenSpans | None:
    """The embedder's own tokenizer, when it exposes one (MiniLM does)."""
    spans = getattr(embedder, "token_spans", None)
    return spans if callable(spans) else None


def iter_prepared_chunks(
    text: str,
    title: str = "",
    *,
    start: int = 0,
    first_index: int = 0,
    token_spans: TokenSpans | None = None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    context_chars: int = DEFAULT_CONTEXT_CHARS,
    max_chars: int = MAX_CHUNK_CHARS,
) -> Iterator[PreparedChunk]:
    """The chunks of `text[start:]` in order, lazily, numbered from `first_index` (see
    `iter_chunks`); each context is cut from `text`, so `text[:start]` can hold the text before
    the first chunk (CONTEXT_REACH characters give a chunk its whole context)."""
    chunks = iter_chunks(
        text,
        start=start,
        first_index=first_index,
        max_tokens=max_tokens,
        overlap_tokens=overlap_tokens,
        token_spans=token_spans,
        max_chars=max_chars,
    )
    title = " ".join(title.split())
    return (
        PreparedChunk(
            span=chunk,
            embedding_input=embedding_input(title, chunk.text),
            context=context_window(text, chunk, context_chars) if context_chars else "",
        )
        for chunk in chunks
    )


def prepare_chunks(
    text: str,
    title: str = "",
    *,
    token_spans: TokenSpans | None = None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    context_chars: int = DEFAULT_CONTEXT_CHARS,
    max_chars: int = MAX_CHUNK_CHARS,
) -> list[PreparedChunk]:
    """Chunks of `text` in order; `context_chars=0` indexes each chunk alone for keywords."""
    return list(
        iter_prepared_chunks(
            text,
            title,
            token_spans=token_spans,
            max_tokens=max_tokens,
            overlap_tokens=overlap_tokens,
            context_chars=context_chars,
            max_chars=max_chars,
        )
    )
