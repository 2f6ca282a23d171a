from __future__ import annotations

from retrieval.chunking import CONTEXT_REACH
from retrieval.indexing import (
    embedding_input,
    iter_prepared_chunks,
    prepare_chunks,
    token_spans_of,
)


class WithTokenizer:
    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return [(i, i + 1) for i, ch in enumerate(text) if not ch.isspace()]


def test_each_chunk_is_embedded_under_its_title_and_indexed_with_its_context() -> None:
    text = " ".join(f"Sentence {n} says something." for n in range(40))
    prepared = prepare_chunks(text, "  The\nTitle ", max_tokens=20, overlap_tokens=4)
    assert len(prepared) > 3
    for item in prepared:
        assert item.embedding_input == f"The Title\n{item.span.text}"
        assert item.span.text in item.context
    assert len(prepared[2].context) > len(prepared[2].span.text)
    assert [p.span.index for p in prepared] == list(range(len(prepared)))


def test_without_context_or_title() -> None:
    [only] = prepare_chunks("short text", context_chars=0)
    assert only.context == "" and only.embedding_input == "short text"
    assert embedding_input("", "x") == "x"


def test_token_spans_come_from_the_embedder_when_it_has_them() -> None:
    spans = token_spans_of(WithTokenizer())
    assert spans is not None and spans("a b") == [(0, 1), (2, 3)]
    assert token_spans_of(object()) is None


def test_prepared_chunks_from_a_start_have_the_contexts_of_the_whole_text() -> None:
    text = " ".join(f"Sentence {n} says something rather long about item {n}." for n in range(400))
    whole = prepare_chunks(text, "Title")
    later = whole[10]
    left = later.span.start - CONTEXT_REACH
    window = text[left : later.span.start + 20_000]
    lazy = iter_prepared_chunks(
        window, "Title", start=later.span.start - left, first_index=later.span.index
    )
    first = next(lazy)
    assert first.span.index == later.span.index and first.span.text == later.span.text
    assert first.context == later.context and first.embedding_input == later.embedding_input
    assert len(first.context) <= len(first.span.text) + 2 * CONTEXT_REACH


def test_a_giant_word_gets_bounded_contexts() -> None:
    text = "</" * 100_000
    contexts = [p.context for p in iter_prepared_chunks(text, "T")]
    assert max(map(len, contexts)) <= 128 + 2 * CONTEXT_REACH
