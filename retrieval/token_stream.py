"""The tokens of a text, read lazily a window at a time, as the chunker needs them.

`TokenStream.ahead(s, ...)` gives the tokens from `s` on, the same whichever chunk start the
stream began at, so chunking again from any chunk's start gives the same chunks. That holds for
tokenizers that are local to separators (tokenizing two pieces of a text split at a space, tab or
newline gives the tokens of the whole; true of the word splitter and of WordPiece), because:

- a window handed to the tokenizer ends just after a separator, so it never splits a word, and
  a start inside a word is tokenized from that word's start (up to `piece` characters back);
- a run of more than `piece` characters without a separator is handed over `piece` characters at
  a time, counted from where the run starts, or from `s` when `s` lies inside it; so no call sees
  more than a window, and a giant "word" still has places to cut.

Reading from `s` looks back at most `piece + 1` characters (`LOOKBEHIND` at most).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import itemgetter, methodcaller

Span = tuple[int, int]
TokenSpans = Callable[[str], Sequence[Span]]

SEPARATORS = " \t\n\r"  # split words for every tokenizer we use; other spaces may not (\x0b, \x1c)
WINDOW_CHARS = 16_384
LONG_RUN_CHARS = 256  # longer than any word: the largest piece a caller should ask for
LOOKBEHIND = LONG_RUN_CHARS + 1  # how far before s reading from s may look, for such pieces
_SEPARATOR = re.compile(r"[ \t\n\r]")
_WORD_OR_MARK = re.compile(r"\w+|[^\w\s]")
_start_of = itemgetter(0)
_span_of = methodcaller("span")


def word_token_spans(text: str) -> list[Span]:
    """The default tokenizer: words and single marks (punctuation, symbols)."""
    return list(map(_span_of, _WORD_OR_MARK.finditer(text)))


@lru_cache(maxsize=8)
def _long_run(piece: int) -> re.Pattern[str]:
    """A run of more than `piece` characters without a separator, matched at the run's start."""
    return re.compile(rf"(?<![^ \t\n\r])[^ \t\n\r]{{{piece + 1}}}")


class TokenStream:
    def __init__(
        self, text: str, tokenize: TokenSpans | None, *, piece: int, window: int = WINDOW_CHARS
    ) -> None:
        """`tokenize=None` splits words and marks (`word_token_spans`)."""
        if piece < 1:
            raise ValueError("piece must be at least 1")
        self._text = text
        self._tokenize = tokenize
        self._piece = piece
        self._window = max(window, 4 * piece)
        self._long_run = _long_run(piece)
        self._spans: list[Span] = []  # absolute offsets, in order; the live ones from _head
        self._head = 0
        self._end = 0  # every token that starts before _end is in _spans

    def ahead(self, s: int, count: int, reach: int) -> tuple[list[Span], bool]:
        """Up to `count` tokens from s, at least all of them that start at or before `reach`; and
        whether these are all the tokens left (fewer than `count`, the text read to its end)."""
        self._restart(s)
        length = len(self._text)
        while True:
            self._head = bisect_left(self._spans, s, lo=self._head, key=_start_of)
            if len(self._spans) - self._head >= count or self._end > reach or self._end >= length:
                break
            self._extend()
        if self._head > 4096 and self._head * 2 > len(self._spans):
            del self._spans[: self._head]
            self._head = 0
        live = self._spans[self._head : self._head + count]
        return live, self._end >= length and len(live) < count

    def _restart(self, s: int) -> None:
        begin = self._word_start(s)
        if begin is None:
            self._reset(s)  # s lies in a long run: its pieces now count from s
        elif s >= self._end:
            self._reset(begin)
        # else the tokens read so far are the text's own from s on

    def _word_start(self, s: int) -> int | None:
        """Where to begin tokenizing for the tokens from s to be the text's own: s itself after a
        separator, else the start of the word holding s; None when that word is a long run."""
        text, piece = self._text, self._piece
        if s == 0 or text[s - 1] in SEPARATORS:
            return s
        floor = max(0, s - piece)
        begin = max(text.rfind(separator, floor, s) for separator in SEPARATORS) + 1
        if begin == 0 and floor > 0:
            return None
        if _SEPARATOR.search(text, s, begin + piece + 1) is None and begin + piece < len(text):
            return None
        return begin

    def _reset(self, begin: int) -> None:
        self._spans, self._head, self._end = [], 0, begin

    def _extend(self) -> None:
        text, begin, piece = self._text, self._end, self._piece
        length = len(text)
        if (
            text[begin] not in SEPARATORS
            and begin + piece < length
            and _SEPARATOR.search(text, begin, begin + piece + 1) is None
        ):
            end = begin + piece  # a run too long to hand over whole
        else:
            limit = min(length, begin + self._window)
            run = self._long_run.search(text, begin + 1, limit)
            if run is not None:
                end = run.start()
            elif limit == length:
                end = length
            else:  # just after the window's last separator (there is one: no long run in it)
                end = max(text.rfind(separator, begin, limit) for separator in SEPARATORS) + 1
        self._spans.extend(self._read(begin, end))
        self._end = end

    def _read(self, begin: int, end: int) -> list[Span]:
        if begin >= end:
            return []
        if self._tokenize is None:  # the word splitter, without copying the window
            return list(map(_span_of, _WORD_OR_MARK.finditer(self._text, begin, end)))
        return [(begin + a, begin + b) for a, b in self._tokenize(self._text[begin:end]) if a < b]
