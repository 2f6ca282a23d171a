"""Hostile files end within their limit, in text or a clean failure, and neither the server's
process nor the extraction child grows by more than MEMORY_CEILING. Each is extracted in a fresh
process (extraction_memory_probe) so that its peak resident set is its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from retrieval.extraction import ExtractionFailed, extract_text
from retrieval.extraction.sniff import CSV, DOCX, HTML, JSON, MARKDOWN, PLAIN
from tests.retrieval.documents import write_lying_zip_bomb_docx

ROOT = Path(__file__).resolve().parents[2]
MEMORY_CEILING = 300 * 1024 * 1024
LIMIT_SECONDS = 10  # the extraction's own time limit in these tests
DEADLINE_SECONDS = 30  # not finished by then: the limit was not enforced


def probe(path: Path, content_type: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "tests.retrieval.extraction_memory_probe", str(path)]
    try:
        finished = subprocess.run(
            [*command, content_type, str(LIMIT_SECONDS)],
            capture_output=True, text=True, timeout=DEADLINE_SECONDS, cwd=ROOT, check=True,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"{path.name}: not finished after {DEADLINE_SECONDS} s (limit {LIMIT_SECONDS})")
    result: dict[str, Any] = json.loads(finished.stdout)
    assert result["parent_growth_bytes"] < MEMORY_CEILING, result
    assert result["child_peak_bytes"] < MEMORY_CEILING, result
    return result


@pytest.mark.parametrize("size", [600_000, 8 * 1024 * 1024], ids=["600KB", "8MiB"])
def test_html_of_unclosed_end_tags_finishes_within_its_limit(tmp_path: Path, size: int) -> None:
    """`"</" * n` made Python's html.parser quadratic, and up to 8 MiB it ran in the server's
    process without a limit: 600 KB took 42 s, 8 MiB would take hours."""
    path = tmp_path / "bomb.html"
    opening = "<html><body>"
    path.write_text(opening + "</" * ((size - len(opening)) // 2))
    result = probe(path, HTML)
    assert result["outcome"] in {"text", "EmptyDocument", "ExtractionFailed"}


@pytest.mark.parametrize("crc_of_declared", [False, True], ids=["true-crc", "crc-of-declared"])
def test_docx_bomb_with_falsified_sizes_fails_with_bounded_memory(
    tmp_path: Path, crc_of_declared: bool
) -> None:
    """0.5 MB that claims 1,000 bytes and inflates to 512 MiB: the sizes in the headers, and even
    a CRC that matches them, must not decide how much is inflated."""
    bomb = write_lying_zip_bomb_docx(
        tmp_path / "bomb.docx", 512 * 1024 * 1024, 1000, crc_of_declared=crc_of_declared
    )
    assert bomb.stat().st_size < 1024 * 1024
    result = probe(bomb, DOCX)
    assert result["outcome"] == "ExtractionFailed"
    assert "declares" in result["message"] and "zip bomb" in result["message"]


WORD = "x" * 1_000_000


@pytest.mark.parametrize(
    ("name", "content_type", "content"),
    [
        ("word.txt", PLAIN, WORD),
        ("word.md", MARKDOWN, WORD),
        ("word.html", HTML, f"<p>{WORD}</p>"),
        ("word.csv", CSV, f"name\n{WORD}\n"),  # csv refused cells over 128 KiB
        ("word.json", JSON, json.dumps({"k": WORD})),
    ],
)
def test_a_megabyte_without_whitespace_extracts(
    tmp_path: Path, name: str, content_type: str, content: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    assert WORD in extract_text(path, content_type)


def test_a_megabyte_without_whitespace_keeps_memory_bounded(tmp_path: Path) -> None:
    path = tmp_path / "word.txt"
    path.write_text(WORD)
    result = probe(path, PLAIN)
    assert (result["outcome"], result["chars"]) == ("text", len(WORD))


def test_json_key_path_shown_per_value_is_capped(tmp_path: Path) -> None:
    """A 1 MB key over 100 values was 100 MB of text (the key once per value)."""
    path = tmp_path / "wide.json"
    path.write_text(json.dumps({"K" * 1_000_000: list(range(100))}))
    lines = extract_text(path, JSON).splitlines()
    assert len(lines) == 100
    assert max(map(len, lines)) < 300
    assert lines[7].endswith("…[7]: 7")


def test_json_deep_key_paths_are_capped(tmp_path: Path) -> None:
    """300 nested 1 KB keys over 100 values: each value's path was 300 KB long."""
    document: Any = list(range(100))
    for depth in range(300):
        document = {f"{depth:04d}" + "k" * 1000: document}
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(document))
    lines = extract_text(path, JSON).splitlines()
    assert len(lines) == 100
    assert max(map(len, lines)) < 300
    # The innermost key, capped at 100 characters, then the index; the 299 keys above: cut.
    assert lines[99] == "…" + ("0000" + "k" * 96) + "…" + "[99]: 99"


def test_csv_column_name_shown_per_value_is_capped(tmp_path: Path) -> None:
    """20 column names of 50 KB over 40 rows were 40 MB of text."""
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{index}" + "h" * 50_000 for index in range(20))
    path.write_text(header + "\n" + "\n".join(",".join(["v"] * 20) for _ in range(40)) + "\n")
    lines = extract_text(path, CSV).splitlines()
    assert len(lines) == 40
    assert max(map(len, lines)) < 20 * 120


def test_text_larger_than_its_file_stops_at_the_character_cap(tmp_path: Path) -> None:
    from retrieval.extraction import ExtractionLimits

    path = tmp_path / "numbers.json"
    path.write_text(json.dumps([0] * 1_000_000))  # 3 MB of file, 9 MB of `[n]: 0` lines
    with pytest.raises(ExtractionFailed, match="more than 1000000 characters"):
        extract_text(path, JSON, ExtractionLimits(max_chars=1_000_000))
