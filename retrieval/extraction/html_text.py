"""Text of an HTML page, read by libxml2's HTML parser through lxml's event interface: no tree
is built, and the tokenizer is linear in the input (Python's `html.parser` is quadratic on input
such as `"</" * n`: 200k pairs took 18 s). Block elements make paragraphs; script, style and
the head are skipped; the title comes first."""

from __future__ import annotations

import re

from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type hints

from retrieval.extraction.errors import ExtractionFailed

SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head"})
_BLOCK_TAGS = """p div br li ul ol h1 h2 h3 h4 h5 h6 tr table section article header footer nav
    blockquote pre hr dt dd title main aside figure figcaption form"""
BLOCK = frozenset(_BLOCK_TAGS.split())
FEED_CHARS = 64 * 1024
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


class _TextEvents:
    """The target of lxml's parser: it receives start, end and data events in document order."""

    def __init__(self, max_chars: int) -> None:
        self.parts: list[str] = []
        self.title: list[str] = []
        self._size = 0
        self._max_chars = max_chars
        self._skipping = 0
        self._in_title = False

    def start(self, tag: str, attrib: object) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in SKIP:
            self._skipping += 1
        if tag in BLOCK:
            self._add("\n\n")

    def end(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in SKIP and self._skipping:
            self._skipping -= 1
        if tag in BLOCK:
            self._add("\n\n")

    def data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
            self._count(len(data))
        elif not self._skipping:
            self._add(data)

    def close(self) -> None:
        return None

    def _add(self, part: str) -> None:
        self._count(len(part))
        self.parts.append(part)

    def _count(self, size: int) -> None:
        self._size += size
        if self._size > self._max_chars:
            raise ExtractionFailed(f"more than {self._max_chars} characters")


def html_to_text(html: str, max_chars: int = 20_000_000) -> str:
    events = _TextEvents(max_chars)
    # huge_tree lifts libxml2's 10 MB cap on one text node or comment: past that cap, the push
    # parser of libxml2 2.14 was seen spinning without end on `"</" * 6_000_000`.
    parser = etree.HTMLParser(
        target=events, encoding="utf-8", no_network=True, huge_tree=True, remove_pis=True
    )
    try:
        for start in range(0, len(html), FEED_CHARS):
            parser.feed(html[start : start + FEED_CHARS].encode("utf-8", "surrogatepass"))
        parser.close()
    except etree.LxmlError as error:
        if events.parts or events.title:
            raise ExtractionFailed(f"unreadable HTML: {error}") from None
        return ""  # libxml2 calls a page without a single element an error: it holds no text
    title = " ".join("".join(events.title).split())
    paragraphs = (
        " ".join(block.split()) for block in _PARAGRAPH_BREAK.split("".join(events.parts))
    )
    body = "\n\n".join(paragraph for paragraph in paragraphs if paragraph)
    return f"{title}\n\n{body}" if title and not body.startswith(title) else body
