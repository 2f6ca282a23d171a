"""No message of an extraction error names a path of the server: they reach users (a document's
`error`, a task file's `metadata.textError`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.extraction import ExtractionError, ExtractionFailed, extract_text, run_isolated
from retrieval.extraction.errors import HIDDEN_PATH, without_paths
from retrieval.extraction.sniff import HTML, PLAIN

HOSTILE = "tests.retrieval.hostile_parsers"


def assert_names_no_path(error: ExtractionError, folder: Path) -> None:
    message = str(error)
    assert str(folder) not in message and folder.name not in message, message
    assert "/tmp" not in message and "pytest-of" not in message, message


@pytest.mark.parametrize("content_type", [PLAIN, HTML], ids=["in-process", "in-a-child"])
def test_a_missing_file_fails_without_its_path(tmp_path: Path, content_type: str) -> None:
    with pytest.raises(ExtractionFailed, match="cannot read the file") as caught:
        extract_text(tmp_path / "gone.txt", content_type)
    assert_names_no_path(caught.value, tmp_path)


@pytest.mark.parametrize("content_type", [PLAIN, HTML], ids=["in-process", "in-a-child"])
def test_an_unreadable_file_fails_without_its_path(tmp_path: Path, content_type: str) -> None:
    folder = tmp_path / "a folder, not a file"
    folder.mkdir()
    with pytest.raises(ExtractionFailed) as caught:
        extract_text(folder, content_type)
    assert_names_no_path(caught.value, tmp_path)


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        ("raise_with_path", f"ValueError: unexpected byte at offset 12 in {HIDDEN_PATH}"),
        ("fail_with_path", f"cannot parse {HIDDEN_PATH}: broken"),
        ("open_a_missing_file", "cannot read the file: No such file or directory"),
    ],
)
def test_a_parser_error_that_quotes_the_path_comes_back_without_it(
    tmp_path: Path, target: str, shown: str
) -> None:
    path = tmp_path / "input.txt"
    path.write_text("content")
    with pytest.raises(ExtractionFailed) as caught:
        run_isolated(f"{HOSTILE}:{target}", path, PLAIN)
    assert_names_no_path(caught.value, tmp_path)
    assert str(caught.value) == shown


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("No such file: '/srv/my data/blobs/ab/cd'", f"No such file: {HIDDEN_PATH}"),
        ("bad byte in /var/lib/taskloom/x.docx at 3", f"bad byte in {HIDDEN_PATH} at 3"),
        (r"C:\Users\svc\data\x.pdf broke", f"{HIDDEN_PATH} broke"),
        ("Invalid /Root object; /Type /Page", "Invalid /Root object; /Type /Page"),
        ("ran out of memory (1024 MiB); 1/2 done", "ran out of memory (1024 MiB); 1/2 done"),
    ],
)
def test_paths_are_hidden_and_other_slashes_kept(message: str, shown: str) -> None:
    assert without_paths(message) == shown
    assert str(ExtractionFailed(message)) == shown
