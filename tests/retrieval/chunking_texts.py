"""Texts to chunk (ordinary English and hostile), the tokenizers to chunk them with, and the checks
every chunking must pass, shared by the chunking tests."""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Callable, Iterable

from retrieval.chunking import (
    CHUNK_LOOKBEHIND,
    CONTEXT_REACH,
    MAX_CHUNK_CHARS,
    ChunkSpan,
    TokenSpans,
    chunk_reach,
)
from retrieval.indexing import PreparedChunk, iter_prepared_chunks

SENTENCES = [
    "Vitamin D deficiency is associated with depression in elderly patients.",
    'The authors write: "no effect was seen (p = 0.42)."',
    "Dr. Smith et al. measured 3.5 mg/kg, e.g. in mice!",
    "Did the trial (ClinicalTrials.gov NCT00000000) end early?",
    "Epigallocatechin-3-gallate inhibits pneumonoultramicroscopicsilicovolcanoconiosis…",
    "See https://example.org/papers/2019/abstract?id=12345&lang=en for details.",
    "Results were robust\u2014across cohorts, sexes and ages\u2019 ranges.",
    "Interleukin-6 (IL-6) levels rose; tumour necrosis factor-\u03b1 did not.",
    "Überraschend: déjà-vu-Erlebnisse nahmen zu.",
    "We conclude that further work is needed.",
]


def english(chars: int, seed: int = 7) -> str:
    """Paragraphs of sentences, some broken across lines, about `chars` characters in all."""
    rng = random.Random(seed)
    paragraphs: list[str] = []
    size = 0
    while size < chars:
        sentences = rng.choices(SENTENCES, k=rng.randint(1, 9))
        joiner = rng.choice([" ", " ", " ", "\n", "  "])
        paragraph = joiner.join(sentences)
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(paragraphs)[:chars]


def hostile(scale: int) -> dict[str, str]:
    """Texts that tokenize badly, each about `scale` characters."""
    return {
        "tag_soup": "</" * (scale // 2),
        "one_letter": "a" * scale,
        "one_line": ("word, another word; " * (scale // 20 + 1))[:scale],
        "tiny_paragraphs": "".join(f"Line {i} says hi.\n\n" for i in range(scale // 18)),
        "punctuation": ("!?.,;:()[]{}\u2026\"'" * (scale // 15 + 1))[:scale],
        "newlines": "\n" * scale,
        "cjk": ("\u4e2d\u6587\u6ca1\u6709\u7a7a\u683c\u7684\u53e5\u5b50\u3002" * (scale // 11))[
            :scale
        ],
        "mixed": mixed(scale),
    }


def mixed(scale: int) -> str:
    """A little of everything, in turns, so that each kind of text meets each other kind."""
    parts = [
        english(600),
        "x" * 300,
        " ",
        "</" * 700,
        "\n" * 2500,
        "y" * 257 + " z",
        "\u4e2d\u6587" * 400,
        " \t " * 900,
        "!" * 260,
        english(900, seed=3),
    ]
    text = ""
    for part in itertools.cycle(parts):
        if len(text) >= scale:
            return text[:scale]
        text += part
    raise AssertionError("unreachable")


@functools.cache
def minilm_token_spans() -> TokenSpans:
    from retrieval.embedders.minilm import MiniLMEmbedder

    return MiniLMEmbedder().token_spans


def tokenizer(name: str) -> TokenSpans | None:
    return minilm_token_spans() if name == "minilm" else None


class RecordingTokenizer:
    """Wraps a tokenizer and notes the length of every text it is given."""

    def __init__(self, inner: TokenSpans | None) -> None:
        from retrieval.chunking import word_token_spans

        self.inner = inner or word_token_spans
        self.lengths: list[int] = []

    def __call__(self, text: str) -> list[tuple[int, int]]:
        self.lengths.append(len(text))
        return list(self.inner(text))


def assert_bounded_cover(
    text: str,
    chunks: Iterable[ChunkSpan],
    *,
    max_tokens: int,
    max_chars: int = MAX_CHUNK_CHARS,
    context: Callable[[ChunkSpan], str] | None = None,
    reach: int = 0,
) -> int:
    """Chunks in order, each starting after the one before and no later than its end, covering
    `text` whole, each within its bounds; and each keyword context, when given, holding its chunk
    and at most `reach` characters more on each side. Returns how many chunks there were."""
    previous: ChunkSpan | None = None
    count = 0
    for chunk in chunks:
        assert chunk.index == count
        if previous is None:
            assert chunk.start == 0
        else:
            assert previous.start < chunk.start <= previous.end
        assert 0 < len(chunk.text) <= max_chars and chunk.token_count <= max_tokens
        assert text[chunk.start : chunk.end] == chunk.text
        if context is not None:
            around = context(chunk)
            assert chunk.text in around and len(around) <= len(chunk.text) + 2 * reach
        previous, count = chunk, count + 1
    assert previous is not None and previous.end == len(text)
    return count


def as_rows(chunks: Iterable[PreparedChunk], shift: int = 0) -> list[tuple[object, ...]]:
    return [
        (
            c.span.index,
            c.span.start + shift,
            c.span.end + shift,
            c.span.text,
            c.span.token_count,
            c.embedding_input,
            c.context,
        )
        for c in chunks
    ]


def chunk_in_windows(
    text: str, window: int, token_spans: TokenSpans | None, **options: int
) -> tuple[list[tuple[object, ...]], int]:
    """Chunks as a caller gets them who reads a huge text `window` characters at a time: each
    window begins CONTEXT_REACH before the first chunk not kept yet; the chunks kept are those
    that start and end far enough from the window's end to be decided by what it holds. Returns
    the rows and the number of windows read."""
    max_chars = options.get("max_chars", MAX_CHUNK_CHARS)
    behind = max(CONTEXT_REACH, CHUNK_LOOKBEHIND)
    rows: list[tuple[object, ...]] = []
    start, index, windows = 0, 0, 0
    while start < len(text):
        left = max(0, start - behind)
        right = min(len(text), left + window)
        piece, windows = text[left:right], windows + 1
        final = right == len(text)
        kept = 0
        for chunk in iter_prepared_chunks(
            piece,
            "Title",
            start=start - left,
            first_index=index,
            token_spans=token_spans,
            **options,
        ):
            span = chunk.span
            decided = span.start + chunk_reach(max_chars) <= len(piece)
            if not final and not (decided and span.end + CONTEXT_REACH <= len(piece)):
                start, index = left + span.start, span.index
                break
            rows.extend(as_rows([chunk], left))
            kept += 1
        else:
            return rows, windows
        assert kept > 0, "the window is too small to decide a chunk"
    return rows, windows
