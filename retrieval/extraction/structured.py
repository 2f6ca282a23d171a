"""Text of CSV and JSON files: one line per record or per scalar, each labelled by its column or
key path so that it reads on its own in a chunk. A label is capped in length: repeated for every
value, an uncapped one would make the text grow with (label length x values), not with the file.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from typing import Any

from retrieval.extraction.budget import TextSink
from retrieval.extraction.errors import ExtractionFailed

MAX_KEY_CHARS = 100  # of one key or column name, as shown
MAX_PATH_CHARS = 200  # of a whole key path, as shown: its end, the keys nearest the value
ELLIPSIS = "…"


def _capped(label: str, limit: int = MAX_KEY_CHARS) -> str:
    return label if len(label) <= limit else label[:limit] + ELLIPSIS


def csv_to_text(text: str, max_chars: int = 20_000_000) -> str:
    """`header: value` pairs, one line per record."""
    csv.field_size_limit(sys.maxsize)  # a long cell is text, not an error (128 KiB by default)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = (row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row))
    header = [_capped(cell.strip()) for cell in next(rows, [])]
    sink = TextSink(max_chars)
    for record in rows:
        pairs = (
            f"{header[i] if i < len(header) else f'column {i + 1}'}: {value.strip()}"
            for i, value in enumerate(record)
            if value.strip()
        )
        sink.add("; ".join(pairs))
    if not sink.parts:
        return ", ".join(header)
    return sink.text("\n")


def _children(value: dict[str, Any] | list[Any]) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        return ((f".{_capped(str(key))}", item) for key, item in value.items())
    return ((f"[{index}]", item) for index, item in enumerate(value))


def _shown_path(path: list[str], last: str) -> str:
    """The key path of one scalar, from its end back to at most MAX_PATH_CHARS characters: the
    cost per scalar stays constant however deep or long the keys above it are."""
    shown, size = [last], len(last)
    for segment in reversed(path):
        if size + len(segment) > MAX_PATH_CHARS:
            return ELLIPSIS + "".join(reversed(shown)).removeprefix(".")
        shown.append(segment)
        size += len(segment)
    return "".join(reversed(shown)).removeprefix(".")


def _scalar(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _flatten(document: Any) -> Iterator[str]:
    """`path.to.key: value` per scalar, depth first, without recursion."""
    if not isinstance(document, dict | list):
        if document is not None:
            yield _scalar(document)
        return
    path: list[str] = []  # one segment per open container below the document
    frames = [_children(document)]
    while frames:
        child = next(frames[-1], None)
        if child is None:
            frames.pop()
            if frames:
                path.pop()
            continue
        segment, value = child
        if isinstance(value, dict | list):
            path.append(segment)
            frames.append(_children(value))
        elif value is not None:
            yield f"{_shown_path(path, segment)}: {_scalar(value)}"


def json_to_text(text: str, max_chars: int = 20_000_000) -> str:
    """JSON, or JSON Lines read line by line."""
    try:
        documents = [json.loads(text)]
    except ValueError:
        try:
            documents = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as error:
            raise ExtractionFailed(f"invalid JSON: {error}") from error
    sink = TextSink(max_chars)
    for document in documents:
        for line in _flatten(document):
            sink.add(line)
            sink.count(1)  # the newline
    return sink.text("\n")
