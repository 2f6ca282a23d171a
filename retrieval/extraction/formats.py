"""Text from each supported format. These functions parse untrusted files: the sandbox runs them
in a child process with a time and memory limit (only plain text is read in the service's own
process), and each stops at its budget of characters and inflated bytes."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from retrieval.extraction import sniff
from retrieval.extraction.budget import ExtractionBudget, TextSink
from retrieval.extraction.errors import ExtractionFailed, UnsupportedContent


def read_text_file(path: Path, budget: ExtractionBudget | None = None) -> str:
    text = sniff.decode_text(path.read_bytes())
    if text is None:
        raise ExtractionFailed("the file holds binary data, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def html_file_to_text(path: Path, budget: ExtractionBudget) -> str:
    from retrieval.extraction.html_text import html_to_text

    return html_to_text(read_text_file(path), budget.max_chars)


def csv_file_to_text(path: Path, budget: ExtractionBudget) -> str:
    from retrieval.extraction.structured import csv_to_text

    return csv_to_text(read_text_file(path), budget.max_chars)


def json_file_to_text(path: Path, budget: ExtractionBudget) -> str:
    from retrieval.extraction.structured import json_to_text

    return json_to_text(read_text_file(path), budget.max_chars)


def pdf_to_text(path: Path, budget: ExtractionBudget) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    sink = TextSink(budget.max_chars)
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionFailed("the PDF is encrypted")
        for page in reader.pages:
            text = (page.extract_text() or "").strip()
            if text:
                sink.add(text)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ExtractionFailed(f"unreadable PDF: {error}") from error
    return sink.text("\n\n")


def docx_to_text(path: Path, budget: ExtractionBudget) -> str:
    """python-docx reads the package only once every member is inflated under the budget."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    from retrieval.extraction.zip_budget import inflate_verified

    try:
        package = inflate_verified(path, budget)
    except ExtractionFailed as error:
        raise ExtractionFailed(f"not a readable DOCX file: {error}") from None
    try:
        document = docx.Document(package)
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise ExtractionFailed(f"not a readable DOCX file: {error}") from error
    sink = TextSink(budget.max_chars)
    for paragraph in document.paragraphs:
        if text := paragraph.text.strip():
            sink.add(text)
    for table in document.tables:
        for row in table.rows:
            cells = list(dict.fromkeys(cell.text.strip() for cell in row.cells))
            if line := " | ".join(cell for cell in cells if cell).strip():
                sink.add(line)
    return sink.text("\n\n")


READERS: dict[str, Callable[[Path, ExtractionBudget], str]] = {
    sniff.PLAIN: read_text_file,
    sniff.MARKDOWN: read_text_file,
    sniff.HTML: html_file_to_text,
    sniff.CSV: csv_file_to_text,
    sniff.JSON: json_file_to_text,
    sniff.PDF: pdf_to_text,
    sniff.DOCX: docx_to_text,
}


def extract_in_process(path: Path, content_type: str, budget: ExtractionBudget) -> str:
    """Parses in the calling process: the target the sandbox's child runs."""
    reader = READERS.get(content_type)
    if reader is None:
        raise UnsupportedContent(f"cannot read {content_type!r}")
    return reader(path, budget)
