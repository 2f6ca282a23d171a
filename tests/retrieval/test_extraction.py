from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from retrieval.extraction import (
    EmptyDocument,
    ExtractionFailed,
    ExtractionLimits,
    UnsupportedContent,
    extract_text,
    extract_text_async,
    sniff_file,
)
from retrieval.extraction.sniff import DOCX, PDF
from tests.retrieval.documents import pdf_bytes, write_docx, write_zip_bomb_docx


def extract(path: Path, limits: ExtractionLimits | None = None) -> str:
    content_type = sniff_file(path)
    if content_type is None:
        raise UnsupportedContent(path.name)
    return extract_text(path, content_type, *([limits] if limits else []))


def test_plain_text_and_markdown(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Line one.\r\nLine two.\r\n")
    (tmp_path / "b.md").write_text("# Heading\n\nBody with **bold**.\n")
    assert extract(tmp_path / "a.txt") == "Line one.\nLine two.\n"
    assert "# Heading" in extract(tmp_path / "b.md")


def test_text_in_a_non_utf8_encoding(tmp_path: Path) -> None:
    (tmp_path / "latin.txt").write_bytes("Crème brûlée à 5 €, déjà vu.".encode("cp1252"))
    (tmp_path / "wide.txt").write_bytes("Grüße aus Köln".encode("utf-16"))
    assert extract(tmp_path / "latin.txt") == "Crème brûlée à 5 €, déjà vu."
    assert extract(tmp_path / "wide.txt") == "Grüße aus Köln"


def test_html_keeps_text_and_drops_scripts_and_styles(tmp_path: Path) -> None:
    html = (
        "<html><head><title>The Page</title><style>p {color: red}</style>"
        "<script>alert('x')</script></head><body><h1>Welcome</h1><p>First &amp; best"
        " paragraph.</p><script>var secret = 1;</script><ul><li>one</li><li>two</li></ul>"
        "</body></html>"
    )
    (tmp_path / "page.html").write_text(html)
    text = extract(tmp_path / "page.html")
    assert text.startswith("The Page")
    assert "First & best paragraph." in text
    assert "one\n\ntwo" in text
    assert "alert" not in text and "secret" not in text and "color" not in text


def test_csv_rows_read_as_header_value_pairs(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("name,city\nAda,London\nAlan,Wilmslow\n")
    assert extract(tmp_path / "people.csv") == "name: Ada; city: London\nname: Alan; city: Wilmslow"


def test_json_and_json_lines_read_as_paths_and_values(tmp_path: Path) -> None:
    data = {"title": "Report", "tags": ["a", "b"], "owner": {"name": "Ada", "age": 36}}
    (tmp_path / "doc.json").write_text(json.dumps(data))
    assert extract(tmp_path / "doc.json").splitlines() == [
        "title: Report", "tags[0]: a", "tags[1]: b", "owner.name: Ada", "owner.age: 36",
    ]  # fmt: skip
    (tmp_path / "events.json").write_text('{"event": "start"}\n{"event": "stop"}\n')
    assert extract(tmp_path / "events.json") == "event: start\nevent: stop"


def test_invalid_json_fails_the_document(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"unterminated": [1, 2')
    with pytest.raises(ExtractionFailed, match="invalid JSON"):
        extract(tmp_path / "broken.json")


def test_pdf_pages_are_extracted(tmp_path: Path) -> None:
    (tmp_path / "doc.pdf").write_bytes(pdf_bytes(["Hello from page one", "And (page) two"]))
    assert extract(tmp_path / "doc.pdf") == "Hello from page one\n\nAnd (page) two"


def test_docx_paragraphs_and_tables_are_extracted(tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "letter.docx",
        ["Dear reader,", "The figures are below."],
        [["Region", "Sales"], ["North", "120"], ["South", "95"]],
    )
    assert sniff_file(path) == DOCX
    text = extract(path)
    assert text.startswith("Dear reader,\n\nThe figures are below.")
    assert "Region | Sales" in text and "South | 95" in text


async def test_extraction_runs_off_the_event_loop(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("async text")
    assert await extract_text_async(tmp_path / "a.txt", "text/plain") == "async text"


def test_empty_and_blank_files_are_empty_documents(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("  \n\n\t \n")
    (tmp_path / "blank.pdf").write_bytes(pdf_bytes(["   "]))
    for name in ("empty.txt", "blank.md", "blank.pdf"):
        with pytest.raises(EmptyDocument):
            extract(tmp_path / name)


def test_binary_garbage_is_unsupported(tmp_path: Path) -> None:
    (tmp_path / "noise.txt").write_bytes(os.urandom(20_000))
    assert sniff_file(tmp_path / "noise.txt") is None
    with pytest.raises(UnsupportedContent):
        extract_text(tmp_path / "noise.txt", "image/png")


def test_malformed_pdf_fails_that_document(tmp_path: Path) -> None:
    broken = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> \x00\x01\x02 garbage" * 40
    (tmp_path / "broken.pdf").write_bytes(broken)
    assert sniff_file(tmp_path / "broken.pdf") == PDF
    with pytest.raises(ExtractionFailed, match="PDF"):
        extract(tmp_path / "broken.pdf")


def test_pdf_whose_page_tree_contains_itself_fails_instead_of_looping(tmp_path: Path) -> None:
    (tmp_path / "loop.pdf").write_bytes(pdf_bytes(["round and round"], kids_loop=True))
    with pytest.raises(ExtractionFailed):
        extract(tmp_path / "loop.pdf", ExtractionLimits(timeout_seconds=20))


def test_zip_bomb_posing_as_docx_is_refused(tmp_path: Path) -> None:
    bomb = write_zip_bomb_docx(tmp_path / "bomb.docx", expanded_bytes=96 * 1024 * 1024)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    limits = ExtractionLimits(max_unzipped_bytes=32 * 1024 * 1024)
    with pytest.raises(ExtractionFailed, match="zip bomb"):
        extract(bomb, limits)


def test_zip_bomb_within_a_generous_budget_hits_the_memory_cap(tmp_path: Path) -> None:
    bomb = write_zip_bomb_docx(tmp_path / "bomb.docx", expanded_bytes=96 * 1024 * 1024)
    limits = ExtractionLimits(memory_bytes=128 * 1024 * 1024, max_unzipped_bytes=1024**3)
    with pytest.raises(ExtractionFailed, match="out of memory"):
        extract(bomb, limits)


def test_zip_that_is_not_a_word_document_fails(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "fake.docx", "w") as archive:
        archive.writestr("word/readme.txt", "not a document")
    with pytest.raises(ExtractionFailed, match="DOCX"):
        extract(tmp_path / "fake.docx")


def test_missing_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(ExtractionFailed, match="cannot read"):
        extract_text(tmp_path / "gone.txt", "text/plain")
