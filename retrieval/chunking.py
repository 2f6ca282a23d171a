"""Cuts text into overlapping chunks of at most `max_tokens` tokens, along natural boundaries.

Chunks are contiguous character spans of the original text, in order; consecutive chunks touch or
overlap, so every character (whitespace included) lands in at least one chunk. A cut goes at the
strongest boundary in the second half of the window (paragraph, then line or sentence, then word),
the latest of that strength; the next chunk starts up to `overlap_tokens` earlier, at a sentence
start when one lies in that overlap, else at a word start.

Count tokens with the embedder's own tokenizer when it has one (`MiniLMEmbedder.token_spans`): the
default splitter counts words and punctuation, fewer than a word-piece tokenizer finds.

The default size is small on purpose: all-MiniLM-L6-v2 was trained on 128-token inputs, and on
SciFact 128-token chunks embed better than 200-token ones (nDCG@10 0.696 against 0.679). Keyword
search prefers more text, so it indexes each chunk with its surroundings (`context_window`).

Every chunk is also at most `max_chars` characters, whatever the text: a window's "second half"
is then the second half of those characters, the overlap is at most the same share of them, and
where no token starts in it (a long run of spaces, a token longer than that) the cut goes at a
space, else mid-word. Work and memory are linear in the text and bounded per chunk: the text is
tokenized lazily, a window at a time (`retrieval.token_stream`). A chunk's boundaries, and where
the next one starts, depend only on the text from CHUNK_LOOKBEHIND characters before its start to
`chunk_reach(max_chars)` characters after it; so chunking again from any chunk's start, even on
a slice of the text that holds that much around it, gives the same chunks from there on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from retrieval.token_stream import (
    LONG_RUN_CHARS,
    LOOKBEHIND,
    Span,
    TokenSpans,
    TokenStream,
    word_token_spans,
)

__all__ = [
    "CHUNK_LOOKBEHIND",
    "CONTEXT_REACH",
    "CONTEXT_SLACK",
    "DEFAULT_CONTEXT_CHARS",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_OVERLAP_TOKENS",
    "MAX_CHUNK_CHARS",
    "ChunkSpan",
    "TokenSpans",
    "chunk_reach",
    "chunk_text",
    "context_window",
    "iter_chunks",
    "word_token_spans",
]

# MiniLM reads up to 256 tokens but was trained on 128; a title line prepended still fits.
DEFAULT_MAX_TOKENS = 128
DEFAULT_OVERLAP_TOKENS = 24
DEFAULT_CONTEXT_CHARS = 800
# Far above ordinary text (SciFact's longest 128-token chunk has 908 characters), so it only
# bounds text that tokenizes badly: no spaces, giant "words", runs of blank lines.
MAX_CHUNK_CHARS = 2048
MIN_CHUNK_CHARS = 16
# A keyword context widens to a word boundary by fewer than this many characters, else cuts.
CONTEXT_SLACK = 32
# How far a chunk's keyword context reaches past each end of the chunk, at the default margin.
CONTEXT_REACH = DEFAULT_CONTEXT_CHARS + CONTEXT_SLACK
# How much text before a chunk's start the chunker reads (to find the start of a word it is in).
CHUNK_LOOKBEHIND = LOOKBEHIND

_SENTENCE_LOOKBACK = 16  # a sentence mark and the closing quotes and brackets after it

_SENTENCE_END = re.compile(r"[.!?\u2026][\"')\]\u201d\u2019]*$")
_SENTENCE_TAIL = frozenset(".!?\u2026\"')]\u201d\u2019\n")  # last characters _SENTENCE_END takes

PARAGRAPH, LINE_OR_SENTENCE, WORD, NONE = 3, 2, 1, 0


@dataclass(frozen=True, slots=True)
class ChunkSpan:
    index: int
    start: int  # character offsets into the text: text[start:end] == self.text
    end: int
    text: str
    token_count: int


@dataclass(frozen=True, slots=True)
class _Limits:
    tokens: int
    overlap: int
    chars: int

    @property
    def overlap_chars(self) -> int:
        return self.chars * self.overlap // self.tokens


def _piece_chars(max_chars: int) -> int:
    return min(LONG_RUN_CHARS, max_chars // 4)


def chunk_reach(max_chars: int = MAX_CHUNK_CHARS) -> int:
    """How many characters from a chunk's start decide its end and the next chunk's start: a
    slice of a text chunks like the whole text for every chunk that starts at least this far
    before the slice's end (and CHUNK_LOOKBEHIND after its beginning, or at the text's own)."""
    return max_chars + _piece_chars(max_chars) + 1


def iter_chunks(
    text: str,
    *,
    start: int = 0,
    first_index: int = 0,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    token_spans: TokenSpans | None = None,
    max_chars: int = MAX_CHUNK_CHARS,
) -> Iterator[ChunkSpan]:
    """The chunks of `text[start:]`, lazily: offsets into `text`, the first beginning at `start`,
    numbered from `first_index`. `text[:start]` is left context only (`context_window` reads it);
    `token_spans` is called on bounded windows of the text, never on the whole of it."""
    if max_tokens < 2:
        raise ValueError("max_tokens must be at least 2")
    if not 0 <= overlap_tokens < max_tokens // 2:
        raise ValueError("overlap_tokens must be between 0 and half of max_tokens")
    if max_chars < MIN_CHUNK_CHARS:
        raise ValueError(f"max_chars must be at least {MIN_CHUNK_CHARS}")
    if not 0 <= start <= len(text):
        raise ValueError("start must lie within the text")
    stream = TokenStream(text, token_spans, piece=_piece_chars(max_chars))
    return _chunks(text, start, first_index, _Limits(max_tokens, overlap_tokens, max_chars), stream)


def chunk_text(
    text: str,
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    token_spans: TokenSpans | None = None,
    max_chars: int = MAX_CHUNK_CHARS,
) -> list[ChunkSpan]:
    """Chunks of `text`; an empty text has none, a short text without tokens is one chunk."""
    return list(
        iter_chunks(
            text,
            max_tokens=max_tokens,
            overlap_tokens=overlap_tokens,
            token_spans=token_spans,
            max_chars=max_chars,
        )
    )


def _chunks(
    text: str, start: int, index: int, limits: _Limits, stream: TokenStream
) -> Iterator[ChunkSpan]:
    length = len(text)
    while start < length:
        tokens, all_left = stream.ahead(start, limits.tokens + 1, start + limits.chars)
        if all_left and length - start <= limits.chars:
            yield ChunkSpan(index, start, length, text[start:], len(tokens))
            return
        end, count, following = _cut(text, start, tokens, limits)
        yield ChunkSpan(index, start, end, text[start:end], count)
        index, start = index + 1, following


def _cut(text: str, start: int, tokens: Sequence[Span], limits: _Limits) -> tuple[int, int, int]:
    """(end, token count, start of the next chunk) of a chunk that is not the last one; `tokens`
    are the next `limits.tokens + 1` tokens from `start` (or fewer, then none follow)."""
    reach, half = start + limits.chars, start + limits.chars // 2
    last = min(len(tokens) - 1, limits.tokens)
    while last >= 1 and tokens[last][0] > reach:
        last -= 1
    # Candidates: the second half of the window in tokens, or in characters when that comes first.
    low = min(max(1, limits.tokens // 2), last + 1)
    while low > 1 and tokens[low - 1][0] >= half:
        low -= 1
    while low <= last and tokens[low][0] <= start:
        low += 1
    if low > last:
        end = _forced_cut(text, half, reach)
        return end, min(limits.tokens, sum(1 for token in tokens if token[0] < end)), end
    cut = _cut_before(text, start, tokens, low, last)
    end = tokens[cut][0]
    return end, cut, tokens[_next_start(text, start, tokens, cut, limits)][0]


def _gap_level(text: str, floor: int, gap_start: int, gap_end: int) -> int:
    """How good a place the gap between two tokens is to cut: PARAGRAPH ... NONE."""
    if gap_start >= gap_end:
        return NONE
    newlines = text.count("\n", gap_start, gap_end)
    if newlines >= 2:
        return PARAGRAPH
    if newlines == 1 or _ends_sentence(text, floor, gap_start):
        return LINE_OR_SENTENCE
    return WORD if text[gap_start:gap_end].isspace() else NONE


def _ends_sentence(text: str, floor: int, end: int) -> bool:
    """Whether text[:end] ends a sentence, looking back a few characters only (never before
    `floor`, the chunk's start, so a chunk does not depend on the text before it)."""
    if text[end - 1] not in _SENTENCE_TAIL:
        return False
    return _SENTENCE_END.search(text, max(floor, end - _SENTENCE_LOOKBACK), end) is not None


def _cut_before(text: str, floor: int, tokens: Sequence[Span], lowest: int, highest: int) -> int:
    """The token index in [lowest, highest] with the strongest boundary before it, the latest
    among equals. Past a sentence end only a paragraph can win, and none can without a newline."""
    best, best_level = highest, _gap_level(text, floor, tokens[highest - 1][1], tokens[highest][0])
    newline_below = text.find("\n", tokens[lowest - 1][1], tokens[highest][0]) >= 0
    for i in range(highest - 1, lowest - 1, -1):
        if best_level == PARAGRAPH or (best_level == LINE_OR_SENTENCE and not newline_below):
            break
        gap_start, gap_end = tokens[i - 1][1], tokens[i][0]
        if best_level == LINE_OR_SENTENCE:
            if text.count("\n", gap_start, gap_end) >= 2:
                best, best_level = i, PARAGRAPH
        elif (found := _gap_level(text, floor, gap_start, gap_end)) > best_level:
            best, best_level = i, found
            if found == LINE_OR_SENTENCE:
                newline_below = text.find("\n", tokens[lowest - 1][1], gap_start) >= 0
    return best


def _next_start(text: str, floor: int, tokens: Sequence[Span], cut: int, limits: _Limits) -> int:
    """Where the next chunk begins: `limits.overlap` tokens or fewer before `cut`, never before
    `tokens[1]`, no more than `limits.overlap_chars` characters before the cut; at the first
    sentence start there, else the first word start."""
    if limits.overlap == 0:
        return cut
    earliest = max(cut - limits.overlap, 1)
    while earliest < cut and tokens[earliest][0] < tokens[cut][0] - limits.overlap_chars:
        earliest += 1
    first_word = -1
    for i in range(earliest, cut):
        found = _gap_level(text, floor, tokens[i - 1][1], tokens[i][0])
        if found >= LINE_OR_SENTENCE:
            return i
        if found == WORD and first_word < 0:
            first_word = i
    return first_word if first_word >= 0 else earliest


def _forced_cut(text: str, lowest: int, highest: int) -> int:
    """No token starts where a cut may go: the latest word boundary in [lowest, highest], else
    `highest` itself, mid-word."""
    for at in range(highest, lowest - 1, -1):
        if text[at - 1].isspace() or text[at].isspace():
            return at
    return highest


def _word_edge(text: str, at: int, step: int) -> int:
    """The nearest word boundary from `at` in direction `step` (-1 or 1), fewer than
    CONTEXT_SLACK characters away; `at` itself (mid-word) when there is none that near."""
    length = len(text)
    for edge in range(at, at + step * CONTEXT_SLACK, step):
        if edge <= 0 or edge >= length or text[edge - 1].isspace() or text[edge].isspace():
            return max(0, min(edge, length))
    return at


def context_window(text: str, chunk: ChunkSpan, margin: int = DEFAULT_CONTEXT_CHARS) -> str:
    """The chunk with up to `margin` characters of the text on each side, widened to whole words
    (by fewer than CONTEXT_SLACK characters more; cut mid-word past that): what keyword search
    should index for a chunk (see `IndexedChunk.context`). It reads no more than `margin +
    CONTEXT_SLACK` characters on either side of the chunk (CONTEXT_REACH at the default margin)."""
    start = _word_edge(text, max(0, chunk.start - margin), -1)
    end = _word_edge(text, min(len(text), chunk.end + margin), 1)
    return text[start:end]
