from __future__ import annotations

import json
import os

import pytest

from retrieval.extraction import sniff_content_type
from retrieval.extraction.sniff import CSV, DOCX, HTML, JSON, MARKDOWN, PDF, PLAIN, decode_text
from tests.retrieval.documents import pdf_bytes


@pytest.mark.parametrize(
    ("head", "filename", "declared", "expected"),
    [
        (b"just some words\nand a second line\n", "notes.txt", "text/plain", PLAIN),
        (b"# Title\n\nSome *markdown* text.\n", "readme.md", None, MARKDOWN),
        (b"# Title\n\nSee [the docs](https://example.org).\n", None, None, MARKDOWN),
        (b"<!DOCTYPE html><html><body><p>Hi</p></body></html>", "page.html", None, HTML),
        (b"<p>A fragment</p><div>more</div>", None, "text/html; charset=utf-8", HTML),
        (b"<div><p>An unnamed fragment</p></div>", None, None, HTML),
        (b"<3 is a heart, not a tag", None, None, PLAIN),
        (b"name,age\nAda,36\nAlan,41\n", "people.csv", None, CSV),
        (b'{"a": 1, "b": [1, 2]}', None, None, JSON),
        (b'[{"id": 1}, {"id": 2}]', "data.json", None, JSON),
        # A head cut short of the end of a longer file (a whole file must parse).
        ((b'{"cut": "off in the middle' + b" of a long value" * 600)[:8192], None, None, JSON),
        (b'{"cut": "off in the midd', None, None, PLAIN),
        (b"%PDF-1.7\n%binary\x00\x01\x02", None, None, PDF),
    ],
)
def test_each_supported_type_is_recognised(
    head: bytes, filename: str | None, declared: str | None, expected: str
) -> None:
    assert sniff_content_type(head, filename, declared) == expected


def test_content_wins_over_the_name() -> None:
    assert sniff_content_type(pdf_bytes(["x"]), "report.txt", "text/plain") == PDF
    assert sniff_content_type(b"plain words only", "fake.pdf", "application/pdf") == PLAIN
    assert sniff_content_type(b"plain words only", "fake.docx", None) == PLAIN
    assert sniff_content_type(b"no commas in here", "table.csv", "text/csv") == PLAIN


def test_zip_is_docx_only_when_it_holds_a_word_document() -> None:
    head = b"PK\x03\x04" + b"\x00" * 26 + b"word/document.xml"
    assert sniff_content_type(head, None, None) == DOCX
    other_zip = b"PK\x03\x04" + b"\x00" * 26 + b"images/cat.png"
    assert sniff_content_type(other_zip, "archive.zip", "application/zip") is None
    assert sniff_content_type(other_zip, "letter.docx", None) == DOCX  # the parser decides


@pytest.mark.parametrize(
    "head",
    [
        os.urandom(4096),
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
        b"\x7fELF\x02\x01\x01" + b"\x00" * 100,
        b"GIF89a" + b"\x01" * 50,
        bytes(range(256)) * 4,
    ],
)
def test_binary_content_is_unsupported(head: bytes) -> None:
    assert sniff_content_type(head, "looks-like.txt", "text/plain") is None


def test_empty_sniffs_as_text_so_that_extraction_reports_it_empty() -> None:
    assert sniff_content_type(b"", "empty.md", None) == MARKDOWN
    assert sniff_content_type(b"", None, None) == PLAIN


def test_text_in_legacy_and_utf16_encodings_is_text() -> None:
    assert sniff_content_type("Café naïve — €5".encode("cp1252"), None, None) == PLAIN
    assert sniff_content_type("Grüße aus Köln".encode("utf-16"), None, None) == PLAIN
    assert decode_text("Café naïve €5".encode("cp1252")) == "Café naïve €5"


def test_a_head_cut_inside_a_utf8_character_is_still_text() -> None:
    data = ("é" * 100).encode()[:-1]
    assert sniff_content_type(data, None, None) == PLAIN


def test_json_lines_sniff_as_json() -> None:
    head = "\n".join(json.dumps({"n": i}) for i in range(3)).encode()
    assert sniff_content_type(head, "events.jsonl", "application/x-ndjson") == JSON
