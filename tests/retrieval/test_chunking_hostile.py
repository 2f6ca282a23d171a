"""Chunking at real sizes and on hostile text: bounded chunks and contexts, every character
covered, work linear in the text (counted, not timed), memory bounded, and the same chunks
whether a text is chunked whole or a window at a time."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from retrieval.chunking import (
    CONTEXT_REACH,
    DEFAULT_MAX_TOKENS,
    MAX_CHUNK_CHARS,
    chunk_text,
    context_window,
    iter_chunks,
)
from retrieval.indexing import iter_prepared_chunks
from retrieval.token_stream import WINDOW_CHARS
from tests.retrieval.chunking_texts import (
    RecordingTokenizer,
    as_rows,
    assert_bounded_cover,
    chunk_in_windows,
    english,
    hostile,
    tokenizer,
)

TOKENIZERS = ["words", "minilm"]
BIG_HOSTILE = hostile(1_000_000)


@pytest.mark.timeout(100)
@pytest.mark.parametrize("kind", sorted(BIG_HOSTILE))
@pytest.mark.parametrize("tokenizer_name", TOKENIZERS)
def test_hostile_text_gives_bounded_chunks_and_contexts_covering_it(
    kind: str, tokenizer_name: str
) -> None:
    text = BIG_HOSTILE[kind]
    count = assert_bounded_cover(
        text,
        chunk_text(text, token_spans=tokenizer(tokenizer_name)),
        max_tokens=DEFAULT_MAX_TOKENS,
        context=lambda chunk: context_window(text, chunk),
        reach=CONTEXT_REACH,
    )
    assert count >= len(text) // MAX_CHUNK_CHARS


def test_the_tag_soup_of_the_issue_has_small_contexts() -> None:
    text = "</" * 20000
    contexts = [context_window(text, chunk) for chunk in chunk_text(text)]
    assert len(contexts) == 385
    assert max(map(len, contexts)) <= 128 + 2 * CONTEXT_REACH  # was 40,000 each


@pytest.mark.timeout(60)  # finished or not: the quadratic chunker took hours on this
def test_twenty_thousand_paragraphs_finish() -> None:
    text = "\n\n".join(f"Paragraph {i} says something. It is short." for i in range(40_000))
    assert_bounded_cover(text, iter_chunks(text), max_tokens=DEFAULT_MAX_TOKENS)


@pytest.mark.parametrize("tokenizer_name", TOKENIZERS)
@pytest.mark.parametrize("kind", ["english", "tag_soup", "one_letter", "mixed"])
def test_the_tokenizer_sees_bounded_windows_and_each_character_about_once(
    kind: str, tokenizer_name: str
) -> None:
    for size in (100_000, 400_000):
        text = english(size) if kind == "english" else hostile(size)[kind]
        recording = RecordingTokenizer(tokenizer(tokenizer_name))
        for _ in iter_chunks(text, token_spans=recording):
            pass
        assert max(recording.lengths) <= WINDOW_CHARS
        # Each character once, a word again now and then where a chunk starts inside it, and
        # in a run without spaces the few pieces a chunk needs after its start.
        limit = 1.2 if kind == "english" else 3.0
        assert sum(recording.lengths) <= limit * len(text), (size, sum(recording.lengths))


@pytest.mark.parametrize(
    ("kind", "sizes"), [("english", (1_000_000, 4_000_000)), ("tag_soup", (100_000, 400_000))]
)
def test_memory_is_bounded_by_the_window_not_the_text(kind: str, sizes: tuple[int, int]) -> None:
    peaks = []
    for size in sizes:
        text = english(size) if kind == "english" else hostile(size)[kind]
        gc.collect()
        tracemalloc.start()
        try:
            for chunk in iter_chunks(text):
                context_window(text, chunk)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    # The old chunker held a tuple per token of the whole text: about 60 bytes per character.
    assert max(peaks) < 3_000_000, peaks  # about 1 MB: one window's tokens
    assert peaks[1] < 1.5 * peaks[0] + 200_000, peaks


@pytest.mark.timeout(100)
@pytest.mark.parametrize("tokenizer_name", TOKENIZERS)
@pytest.mark.parametrize(
    "kind", ["english", "tag_soup", "one_letter", "tiny_paragraphs", "newlines", "cjk", "mixed"]
)
def test_a_text_chunks_the_same_whole_or_a_window_at_a_time(kind: str, tokenizer_name: str) -> None:
    text = english(60_000) if kind == "english" else hostile(60_000)[kind]
    spans = tokenizer(tokenizer_name)
    whole = as_rows(iter_prepared_chunks(text, "Title", token_spans=spans))
    windowed, windows = chunk_in_windows(text, 7000, spans)
    assert windows > 8
    assert windowed == whole


@pytest.mark.parametrize("tokenizer_name", TOKENIZERS)
def test_chunking_again_from_any_chunk_start_gives_the_same_chunks(tokenizer_name: str) -> None:
    text = hostile(20_000)["mixed"] + english(20_000)
    spans = tokenizer(tokenizer_name)
    whole = list(iter_chunks(text, token_spans=spans, max_tokens=40, overlap_tokens=8))
    for chunk in whole[::7]:
        again = iter_chunks(
            text, start=chunk.start, first_index=chunk.index, token_spans=spans, max_tokens=40,
            overlap_tokens=8,
        )  # fmt: skip
        assert list(again) == whole[chunk.index :]


def test_small_caps_hold_too() -> None:
    text = hostile(20_000)["mixed"]
    chunks = chunk_text(text, max_tokens=10, overlap_tokens=3, max_chars=64)
    assert_bounded_cover(
        text,
        chunks,
        max_tokens=10,
        max_chars=64,
        context=lambda chunk: context_window(text, chunk, 20),
        reach=20 + 32,
    )
