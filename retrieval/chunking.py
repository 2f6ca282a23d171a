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
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

TokenSpans = Callable[[str], Sequence[tuple[int, int]]]

# MiniLM reads up to 256 tokens but was trained on 128; a title line prepended still fits.
DEFAULT_MAX_TOKENS = 128
DEFAULT_OVERLAP_TOKENS = 24
DEFAULT_CONTEXT_CHARS = 800

_WORD_OR_MARK = re.compile(r"\w+|[^\w\s]")
_SENTENCE_END = re.compile(r"[.!?\u2026][\"')\]\u201d\u2019]*$")

PARAGRAPH, LINE_OR_SENTENCE, WORD, NONE = 3, 2, 1, 0


@dataclass(frozen=True, slots=True)
class ChunkSpan:
    index: int
    start: int  # character offsets into the text: text[start:end] == self.text
    end: int
    text: str
    token_count: int


def word_token_spans(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in _WORD_OR_MARK.finditer(text)]


def _boundary_levels(text: str, spans: Sequence[tuple[int, int]]) -> list[int]:
    """levels[i]: how good a place it is to cut just before token i (levels[0] is unused)."""
    levels = [NONE] * len(spans)
    for i in range(1, len(spans)):
        gap = text[spans[i - 1][1] : spans[i][0]]
        if not gap:
            continue
        newlines = gap.count("\n")
        if newlines >= 2:
            levels[i] = PARAGRAPH
        elif newlines == 1 or _SENTENCE_END.search(text, 0, spans[i - 1][1]):
            levels[i] = LINE_OR_SENTENCE
        elif gap.isspace():
            levels[i] = WORD
    return levels


def _cut_before(levels: Sequence[int], lowest: int, highest: int) -> int:
    """The token index in [lowest, highest] with the strongest boundary, the latest among equals."""
    best = highest
    for i in range(highest, lowest - 1, -1):
        if levels[i] > levels[best]:
            best = i
    return best


def _next_start(levels: Sequence[int], cut: int, overlap: int, floor: int) -> int:
    """Where the next chunk begins: `overlap` tokens or fewer before `cut`, after `floor`."""
    if overlap == 0:
        return cut
    earliest = max(cut - overlap, floor + 1)
    for wanted in (LINE_OR_SENTENCE, WORD):
        for i in range(earliest, cut):
            if levels[i] >= wanted:
                return i
    return earliest


def chunk_text(
    text: str,
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    token_spans: TokenSpans | None = None,
) -> list[ChunkSpan]:
    """Chunks of `text`; an empty text has none, a text without tokens is one chunk."""
    if max_tokens < 2:
        raise ValueError("max_tokens must be at least 2")
    if not 0 <= overlap_tokens < max_tokens // 2:
        raise ValueError("overlap_tokens must be between 0 and half of max_tokens")
    if not text:
        return []
    spans = list((token_spans or word_token_spans)(text))
    if not spans:
        return [ChunkSpan(0, 0, len(text), text, 0)]
    levels = _boundary_levels(text, spans)
    chunks: list[ChunkSpan] = []
    first_token, char_start = 0, 0
    while True:
        limit = first_token + max_tokens
        if limit >= len(spans):
            count = len(spans) - first_token
            chunks.append(ChunkSpan(len(chunks), char_start, len(text), text[char_start:], count))
            return chunks
        cut = _cut_before(levels, first_token + max(1, max_tokens // 2), limit)
        # The chunk runs up to the next token, so the gap before it is covered even without overlap.
        char_end = spans[cut][0]
        chunks.append(
            ChunkSpan(
                len(chunks), char_start, char_end, text[char_start:char_end], cut - first_token
            )
        )
        first_token = _next_start(levels, cut, overlap_tokens, first_token)
        char_start = spans[first_token][0]


def context_window(text: str, chunk: ChunkSpan, margin: int = DEFAULT_CONTEXT_CHARS) -> str:
    """The chunk with up to `margin` characters of the text on each side, widened to whole words:
    what keyword search should index for a chunk (see `IndexedChunk.context`)."""
    start, end = max(0, chunk.start - margin), min(len(text), chunk.end + margin)
    while 0 < start < len(text) and not (text[start - 1].isspace() or text[start].isspace()):
        start -= 1
    while 0 < end < len(text) and not (text[end - 1].isspace() or text[end].isspace()):
        end += 1
    return text[start:end]
