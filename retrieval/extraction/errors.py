"""Why a document yielded no text. The service maps these to answers (415, 422) or a failed job.

Their messages reach users (a document's `error`, a task file's `metadata.textError`), so every
one is stripped of file-system paths when it is made, whichever parser or OS error it quotes."""

from __future__ import annotations

import re

# A quoted absolute path (it may hold spaces), then a bare one of two components or more: one
# component alone is too often something else (a PDF name such as /Root, a ratio).
_QUOTED_PATH = re.compile(r"""(['"])(?:[A-Za-z]:)?[/\\][^'"\n]*\1""")
_BARE_PATH = re.compile(r"(?<![\w.~-])(?:[A-Za-z]:)?(?:[/\\][^\s/\\'\"<>|]+){2,}[/\\]?")
HIDDEN_PATH = "<path>"


def without_paths(message: str) -> str:
    return _BARE_PATH.sub(HIDDEN_PATH, _QUOTED_PATH.sub(HIDDEN_PATH, message))


class ExtractionError(Exception):
    """Base of the extraction failures."""

    def __init__(self, message: str = "") -> None:
        super().__init__(without_paths(message))


class UnsupportedContent(ExtractionError):
    """The content is of no type we read (answered 415)."""


class EmptyDocument(ExtractionError):
    """The file is empty or holds no text (answered 422)."""


class ExtractionFailed(ExtractionError):
    """The file claims a type we read but is broken, hostile or too big: parsing failed, ran out
    of time or of memory. Only this document fails."""
