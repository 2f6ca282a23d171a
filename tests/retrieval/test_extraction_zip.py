"""Zip-based documents are inflated under a budget of real bytes: what the headers claim does
not decide how much is inflated (see test_extraction_bombs for the memory this keeps)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from retrieval.extraction import ExtractionFailed, ExtractionLimits, extract_text
from retrieval.extraction.budget import ExtractionBudget
from retrieval.extraction.sniff import DOCX
from retrieval.extraction.zip_budget import inflate_verified
from tests.retrieval.documents import (
    write_docx,
    write_lying_zip_bomb_docx,
    write_zip_with_member,
)


def test_the_verified_copy_holds_every_member_uncompressed(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "letter.docx", ["Dear reader,"], [["a", "b"]])
    with zipfile.ZipFile(path) as original:
        expected = {item.filename: original.read(item) for item in original.infolist()}
    with zipfile.ZipFile(inflate_verified(path, ExtractionBudget())) as copy:
        assert {item.filename: copy.read(item) for item in copy.infolist()} == expected
        assert {item.compress_type for item in copy.infolist()} == {zipfile.ZIP_STORED}


def test_a_member_larger_than_declared_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    bomb = write_lying_zip_bomb_docx(tmp_path / "bomb.docx", 8 * 1024 * 1024, 4096)
    with pytest.raises(ExtractionFailed, match="inflates past the size its header declares"):
        inflate_verified(bomb, ExtractionBudget())


def test_real_bytes_count_against_the_budget(tmp_path: Path) -> None:
    bomb = write_lying_zip_bomb_docx(tmp_path / "bomb.docx", 8 * 1024 * 1024, 4096)
    with pytest.raises(ExtractionFailed, match="zip bomb"):
        inflate_verified(bomb, ExtractionBudget(max_unzipped_bytes=2048))


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA], ids=["bzip2", "lzma"])
def test_members_compressed_other_than_by_deflate_are_refused(tmp_path: Path, method: int) -> None:
    """zipfile inflates these without a cap per read; DOCX never uses them."""
    path = write_zip_with_member(tmp_path / "odd.docx", "word/document.xml", b"<x/>" * 9, method)
    with pytest.raises(ExtractionFailed, match="compression method"):
        extract_text(path, DOCX)


def test_an_archive_of_too_many_members_is_refused(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "letter.docx", ["Dear reader,"])
    with pytest.raises(ExtractionFailed, match="members"):
        extract_text(path, DOCX, ExtractionLimits(max_zip_members=3))
