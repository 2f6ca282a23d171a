"""From a document's text to what an embedder and a store take, the same way for the service and
the benchmarks: chunks, the text each chunk is embedded from, and the keyword context of each."""

from __future__ import annotations

from dataclasses import dataclass

from retrieval.chunking import (
    DEFAULT_CONTEXT_CHARS,
    DEFAULT_MAX_TOKENS,
    DEFAULT_OVERLAP_TOKENS,
    ChunkSpan,
    TokenSpans,
    chunk_text,
    context_window,
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


def prepare_chunks(
    text: str,
    title: str = "",
    *,
    token_spans: TokenSpans | None = None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    context_chars: int = DEFAULT_CONTEXT_CHARS,
) -> list[PreparedChunk]:
    """Chunks of `text` in order; `context_chars=0` indexes each chunk alone for keywords."""
    chunks = chunk_text(
        text, max_tokens=max_tokens, overlap_tokens=overlap_tokens, token_spans=token_spans
    )
    return [
        PreparedChunk(
            span=chunk,
            embedding_input=embedding_input(title, chunk.text),
            context=context_window(text, chunk, context_chars) if context_chars else "",
        )
        for chunk in chunks
    ]
