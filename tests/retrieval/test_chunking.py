from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.chunking import (
    CHUNK_LOOKBEHIND,
    CONTEXT_SLACK,
    ChunkSpan,
    chunk_text,
    context_window,
    iter_chunks,
    word_token_spans,
)

WORDS = st.sampled_from(
    ["alpha", "beta", "gamma", "x", "déjà", "1234", "long-word", "a.b", "Mr.", "end.", "why?"]
)
SEPARATORS = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", ". ", "! ", ", ", "\t"])
TEXTS = st.lists(st.tuples(WORDS, SEPARATORS), max_size=400).map(
    lambda pairs: "".join(word + sep for word, sep in pairs)
)


def assert_covers(text: str, chunks: list[ChunkSpan], max_tokens: int) -> None:
    assert chunks[0].start == 0
    assert chunks[-1].end == len(text)
    for index, chunk in enumerate(chunks):
        assert chunk.index == index
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.token_count <= max_tokens
        assert len(word_token_spans(chunk.text)) >= chunk.token_count
    for before, after in itertools.pairwise(chunks):
        assert before.start < after.start <= before.end  # in order, no gap


@settings(max_examples=150, deadline=None)
@given(
    text=TEXTS,
    max_tokens=st.integers(min_value=2, max_value=60),
    overlap_share=st.floats(min_value=0.0, max_value=0.49),
)
def test_every_character_lands_in_a_chunk_in_order(
    text: str, max_tokens: int, overlap_share: float
) -> None:
    overlap = min(int(max_tokens * overlap_share), max_tokens // 2 - 1) if max_tokens > 2 else 0
    chunks = chunk_text(text, max_tokens=max_tokens, overlap_tokens=max(0, overlap))
    if not text:
        assert chunks == []
        return
    assert_covers(text, chunks, max_tokens)


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=300))
def test_any_unicode_text_is_covered(text: str) -> None:
    chunks = chunk_text(text, max_tokens=8, overlap_tokens=2)
    if text:
        assert_covers(text, chunks, 8)


def test_cuts_prefer_paragraphs_then_sentences() -> None:
    first = "One two three four five six. Seven eight nine ten."
    second = "Eleven twelve thirteen fourteen. Fifteen sixteen."
    chunks = chunk_text(f"{first}\n\n{second}", max_tokens=16, overlap_tokens=0)
    assert [c.text.strip() for c in chunks] == [first, second]
    sentences = "Alpha beta gamma delta epsilon zeta eta. Theta iota kappa lambda mu nu xi omicron."
    cut = chunk_text(sentences, max_tokens=12, overlap_tokens=0)[0]
    assert cut.text == "Alpha beta gamma delta epsilon zeta eta. "


def test_overlap_starts_at_a_sentence_when_one_is_near() -> None:
    text = " ".join(f"Sentence number {n} ends here." for n in range(30))
    chunks = chunk_text(text, max_tokens=20, overlap_tokens=8)
    assert len(chunks) > 3
    for chunk in chunks[1:]:
        assert chunk.text.startswith("Sentence number")
    starts = [c.start for c in chunks]
    ends = [c.end for c in chunks]
    assert any(s < e for s, e in zip(starts[1:], ends, strict=False))  # they do overlap


def test_a_custom_tokenizer_sets_the_count() -> None:
    def characters(text: str) -> list[tuple[int, int]]:
        return [(i, i + 1) for i, ch in enumerate(text) if not ch.isspace()]

    chunks = chunk_text(
        "abcdefghij klmnopqrst", max_tokens=10, overlap_tokens=0, token_spans=characters
    )
    assert [c.text for c in chunks] == ["abcdefghij ", "klmnopqrst"]
    assert [c.token_count for c in chunks] == [10, 10]


def test_short_text_is_one_chunk_and_whitespace_is_kept() -> None:
    assert chunk_text("  Hello world.  ") == [ChunkSpan(0, 0, 16, "  Hello world.  ", 3)]
    assert chunk_text("   ") == [ChunkSpan(0, 0, 3, "   ", 0)]
    assert chunk_text("") == []


@pytest.mark.parametrize(("max_tokens", "overlap"), [(1, 0), (10, 5), (10, -1)])
def test_bad_sizes_are_refused(max_tokens: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        chunk_text("some text", max_tokens=max_tokens, overlap_tokens=overlap)


def test_text_without_spaces_is_still_cut_between_tokens() -> None:
    text = "x" * 50 + "." * 50
    chunks = chunk_text(text, max_tokens=10, overlap_tokens=2)
    assert_covers(text, chunks, 10)
    assert re.fullmatch(r"x{50}\.{9}", chunks[0].text)


def test_context_window_widens_a_chunk_to_whole_words_around_it() -> None:
    text = "alpha beta gamma delta epsilon zeta eta theta"
    middle = next(c for c in chunk_text(text, max_tokens=2, overlap_tokens=0) if "delta" in c.text)
    assert middle.text == "gamma delta "
    assert context_window(text, middle, margin=0) == "gamma delta "
    assert context_window(text, middle, margin=3) == "beta gamma delta epsilon"
    assert context_window(text, middle, margin=1000) == text


def test_context_window_cuts_mid_word_when_no_space_is_near() -> None:
    text = "a" * 5000 + " tail"
    middle = ChunkSpan(0, 2000, 2100, text[2000:2100], 1)
    assert context_window(text, middle, margin=300) == text[1700:2400]
    spaced = "x" * 1690 + " " + "y" * 2000
    assert context_window(spaced, middle, margin=300) == spaced[1691:2400]  # widened 9 to a word
    assert len(context_window(text, middle, margin=300)) < 100 + 2 * (300 + CONTEXT_SLACK)


def test_iter_chunks_starts_where_told_and_numbers_from_first_index() -> None:
    text = "Before this. " + " ".join(f"Word{n}." for n in range(200))
    chunks = list(iter_chunks(text, start=13, first_index=5, max_tokens=20, overlap_tokens=4))
    assert chunks[0].start == 13 and chunks[0].index == 5 and chunks[-1].end == len(text)
    assert [c.index for c in chunks] == list(range(5, 5 + len(chunks)))
    with pytest.raises(ValueError):
        iter_chunks(text, start=len(text) + 1)
    with pytest.raises(ValueError):
        iter_chunks(text, max_chars=8)
    assert list(iter_chunks(text, start=len(text))) == []


def test_a_chunk_has_a_hard_cap_in_characters() -> None:
    text = "a" * 10_000 + " " + "b" * 50
    chunks = chunk_text(text, max_chars=1000)
    assert max(len(c.text) for c in chunks) <= 1000
    assert chunks[-1].end == len(text)


RUNS = st.sampled_from(
    ["x" * 40, "</" * 20, "\n" * 70, "\u4e2d\u6587" * 30, "!" * 33, " " * 45, "y" * 17]
)
HOSTILE_TEXTS = st.lists(
    st.one_of(st.tuples(WORDS, SEPARATORS), st.tuples(RUNS, SEPARATORS)), max_size=120
).map(lambda pairs: "".join(word + sep for word, sep in pairs))


@settings(max_examples=120, deadline=None)
@given(
    text=HOSTILE_TEXTS,
    max_tokens=st.integers(min_value=2, max_value=24),
    overlap_share=st.floats(min_value=0.0, max_value=0.49),
    max_chars=st.sampled_from([16, 40, 64, 200]),
)
def test_chunking_again_from_a_chunk_start_gives_the_same_chunks(
    text: str, max_tokens: int, overlap_share: float, max_chars: int
) -> None:
    overlap = min(int(max_tokens * overlap_share), max_tokens // 2 - 1) if max_tokens > 2 else 0
    options = {"max_tokens": max_tokens, "overlap_tokens": max(0, overlap), "max_chars": max_chars}
    whole = list(iter_chunks(text, **options))
    if text:
        assert whole[0].start == 0 and whole[-1].end == len(text)
    for before, after in itertools.pairwise(whole):
        assert before.start < after.start <= before.end
    for chunk in whole:
        assert len(chunk.text) <= max_chars
        again = list(iter_chunks(text, start=chunk.start, first_index=chunk.index, **options))
        assert again == whole[chunk.index :]
        left = max(0, chunk.start - CHUNK_LOOKBEHIND)
        sliced = iter_chunks(
            text[left:], start=chunk.start - left, first_index=chunk.index, **options
        )
        assert [(c.start + left, c.end + left, c.text) for c in sliced] == [
            (c.start, c.end, c.text) for c in whole[chunk.index :]
        ]
