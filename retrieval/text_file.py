"""A document's extracted text, kept in a UTF-8 file and read a window at a time, so that
ingesting a large document holds a window of it in memory, never the whole text.

A window is the body starting at a cursor (a character offset and the byte offset of the same
place) plus some text before it, for the keyword context of the chunks that start at the cursor.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

MAX_UTF8_BYTES = 4  # per character


@dataclass(frozen=True, slots=True)
class Cursor:
    char: int = 0
    byte: int = 0


@dataclass(frozen=True, slots=True)
class TextWindow:
    text: str  # context before the cursor, then the body
    body_start: int  # text[body_start] is the character at the cursor
    cursor: Cursor
    at_end: bool  # the body runs to the end of the file

    def cursor_at(self, index: int) -> Cursor:
        """The cursor of text[index], for an index in the body."""
        if index < self.body_start:
            raise ValueError("the index lies before the window's body")
        body = self.text[self.body_start : index]
        return Cursor(self.cursor.char + len(body), self.cursor.byte + len(body.encode()))


def write_text(path: Path, text: str) -> int:
    """Writes `text` to `path` atomically (a crash leaves the old file or none); returns its
    size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return path.stat().st_size


def read_window(path: Path, cursor: Cursor, *, before_chars: int, body_bytes: int) -> TextWindow:
    """Up to `body_bytes` bytes of text from `cursor` (cut back to a whole character), with up
    to `before_chars` characters before it."""
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        back = min(cursor.byte, before_chars * MAX_UTF8_BYTES)
        file.seek(cursor.byte - back)
        before = _whole_characters_from_start(file.read(back))[-before_chars:] if back else ""
        data = file.read(body_bytes)
    at_end = cursor.byte + len(data) >= size
    body = data.decode("utf-8") if at_end else _whole_characters_to_end(data)
    return TextWindow(before + body, len(before), cursor, at_end)


def _whole_characters_from_start(data: bytes) -> str:
    """`data` may begin inside a character: skip its continuation bytes."""
    start = 0
    while start < len(data) and start < MAX_UTF8_BYTES and 0x80 <= data[start] < 0xC0:
        start += 1
    return data[start:].decode("utf-8")


def _whole_characters_to_end(data: bytes) -> str:
    """`data` may end inside a character: leave it for the next window."""
    for cut in range(min(MAX_UTF8_BYTES, len(data)) + 1):
        try:
            return data[: len(data) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("utf-8", data, 0, len(data), "not UTF-8 text")
