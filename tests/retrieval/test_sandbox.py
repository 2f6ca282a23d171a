"""The sandbox contains parsers that hog memory, never return or crash (see hostile_parsers)."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from retrieval.extraction import (
    ExtractionFailed,
    ExtractionLimits,
    UnsupportedContent,
    run_isolated,
)

HOSTILE = "tests.retrieval.hostile_parsers"


@pytest.fixture
def some_file(tmp_path: Path) -> Path:
    path = tmp_path / "input.txt"
    path.write_text("content")
    return path


def test_a_well_behaved_parser_returns_its_text(some_file: Path) -> None:
    assert run_isolated(f"{HOSTILE}:echo", some_file, "text/plain") == "input.txt as text/plain"


def test_memory_hog_fails_the_document_and_not_the_parent(some_file: Path) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    limits = ExtractionLimits(memory_bytes=256 * 1024 * 1024)
    with pytest.raises(ExtractionFailed, match="out of memory"):
        run_isolated(f"{HOSTILE}:allocate", some_file, "text/plain", limits)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 256 * 1024  # the 4 GiB were asked for in the child, not here


def test_endless_parser_is_stopped_at_the_timeout(some_file: Path) -> None:
    limits = ExtractionLimits(timeout_seconds=0.5)
    with pytest.raises(ExtractionFailed, match=r"longer than 0\.5 s"):
        run_isolated(f"{HOSTILE}:spin", some_file, "text/plain", limits)


def test_crashing_parser_fails_the_document(some_file: Path) -> None:
    with pytest.raises(ExtractionFailed, match="SIGABRT"):
        run_isolated(f"{HOSTILE}:crash", some_file, "text/plain")


def test_errors_raised_in_the_child_come_back_with_their_type(some_file: Path) -> None:
    target = "retrieval.extraction.formats:extract_in_process"
    with pytest.raises(UnsupportedContent):
        run_isolated(target, some_file, "image/png")


def test_text_beyond_the_character_cap_fails(some_file: Path) -> None:
    limits = ExtractionLimits(max_chars=5)
    with pytest.raises(ExtractionFailed, match="more than 5 characters"):
        run_isolated(f"{HOSTILE}:echo", some_file, "text/plain", limits)


def test_a_book_sized_text_comes_back_whole_through_its_file(some_file: Path) -> None:
    from tests.retrieval.hostile_parsers import large_text

    text = run_isolated(f"{HOSTILE}:large_text", some_file, "text/plain")
    assert text == large_text(some_file, "text/plain", None)
