"""Text from each supported format. These functions parse untrusted files: the sandbox runs them
in a child process with a time and memory limit, never in the service's process."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from retrieval.extraction import sniff
from retrieval.extraction.errors import ExtractionFailed, UnsupportedContent

# A DOCX expands to a few times its size; more than this is a zip bomb, not a document.
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
MAX_ZIP_MEMBERS = 10_000


def read_text_file(path: Path) -> str:
    text = sniff.decode_text(path.read_bytes())
    if text is None:
        raise ExtractionFailed("the file holds binary data, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


_BLOCK_TAGS = """p div br li ul ol h1 h2 h3 h4 h5 h6 tr table section article header footer nav
    blockquote pre hr dt dd title main aside figure figcaption form"""


class _HtmlText(HTMLParser):
    SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head"})
    BLOCK = frozenset(_BLOCK_TAGS.split())

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in self.SKIP:
            self._skipping += 1
        if tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self.SKIP and self._skipping:
            self._skipping -= 1
        if tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
        elif not self._skipping:
            self.parts.append(data)

    def text(self) -> str:
        title = " ".join("".join(self._title).split())
        paragraphs = (
            " ".join(block.split()) for block in re.split(r"\n\s*\n", "".join(self.parts))
        )
        body = "\n\n".join(paragraph for paragraph in paragraphs if paragraph)
        return f"{title}\n\n{body}" if title and not body.startswith(title) else body


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return parser.text()


def csv_to_text(text: str) -> str:
    """One line per record, `header: value` pairs, so each row reads on its own in a chunk."""
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)]
    if not rows:
        return ""
    header, records = rows[0], rows[1:]
    if not records:
        return ", ".join(header)
    lines = []
    for record in records:
        pairs = (
            f"{header[i].strip() if i < len(header) else f'column {i + 1}'}: {value.strip()}"
            for i, value in enumerate(record)
            if value.strip()
        )
        lines.append("; ".join(pairs))
    return "\n".join(lines)


def _flatten(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _flatten(item, f"{path}[{index}]")
    elif value is not None:
        shown = value if isinstance(value, str) else json.dumps(value)
        yield f"{path}: {shown}" if path else str(shown)


def json_to_text(text: str) -> str:
    """`path.to.key: value` per scalar; JSON Lines are read line by line."""
    try:
        documents = [json.loads(text)]
    except ValueError:
        try:
            documents = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as error:
            raise ExtractionFailed(f"invalid JSON: {error}") from error
    return "\n".join(line for document in documents for line in _flatten(document, ""))


def pdf_to_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionFailed("the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ExtractionFailed(f"unreadable PDF: {error}") from error
    return "\n\n".join(page.strip() for page in pages if page.strip())


def check_zip(path: Path, max_unzipped: int = MAX_UNZIPPED_BYTES) -> None:
    """Refuses an archive whose members would expand past `max_unzipped` bytes. Python's zipfile
    stops at each member's declared size, so the declared sizes bound what can be inflated."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise ExtractionFailed(f"not a valid DOCX (zip) file: {error}") from error
    if len(members) > MAX_ZIP_MEMBERS:
        raise ExtractionFailed(f"the archive has {len(members)} members")
    expanded = sum(member.file_size for member in members)
    if expanded > max_unzipped:
        raise ExtractionFailed(f"the archive expands to {expanded} bytes (zip bomb?)")


def docx_to_text(path: Path, *, max_unzipped: int | None = MAX_UNZIPPED_BYTES) -> str:
    """`max_unzipped=None` skips the size check (then only the sandbox's memory cap protects)."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if max_unzipped is not None:
        check_zip(path, max_unzipped)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise ExtractionFailed(f"not a readable DOCX file: {error}") from error
    blocks = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            cells = list(dict.fromkeys(cell.text.strip() for cell in row.cells))
            blocks.append(" | ".join(cell for cell in cells if cell))
    return "\n\n".join(block.strip() for block in blocks if block.strip())


def _text_reader(convert: Callable[[str], str]) -> Callable[[Path], str]:
    return lambda path: convert(read_text_file(path))


READERS: dict[str, Callable[[Path], str]] = {
    sniff.PLAIN: read_text_file,
    sniff.MARKDOWN: read_text_file,
    sniff.HTML: _text_reader(html_to_text),
    sniff.CSV: _text_reader(csv_to_text),
    sniff.JSON: _text_reader(json_to_text),
    sniff.PDF: pdf_to_text,
    sniff.DOCX: docx_to_text,
}


def extract_in_process(path: Path, content_type: str, max_unzipped: int | None) -> str:
    """Parses in the calling process: only the sandbox's child should call this."""
    if content_type == sniff.DOCX:
        return docx_to_text(path, max_unzipped=max_unzipped)
    reader = READERS.get(content_type)
    if reader is None:
        raise UnsupportedContent(f"cannot read {content_type!r}")
    return reader(path)
