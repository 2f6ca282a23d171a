"""Parsers that misbehave, run by the sandbox tests in place of the real one (`module:function`,
called as function(path, content_type, budget) in the child)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from retrieval.extraction import ExtractionFailed


def allocate(path: Path, content_type: str, budget: object) -> str:
    hoard = [bytearray(64 * 1024 * 1024) for _ in range(64)]  # 4 GiB, far above the test's cap
    return str(len(hoard))


def spin(path: Path, content_type: str, budget: object) -> str:
    while True:
        pass


def crash(path: Path, content_type: str, budget: object) -> str:
    os.abort()


def echo(path: Path, content_type: str, budget: object) -> str:
    return f"{path.name} as {content_type}"


def large_text(path: Path, content_type: str, budget: object) -> str:
    """16 MiB of text, non-ASCII included, as a real book-sized document would give."""
    line = "Grüße — naïve café, line of a long book.\n"
    return line * (16 * 1024 * 1024 // len(line))


def raise_with_path(path: Path, content_type: str, budget: object) -> str:
    raise ValueError(f"unexpected byte at offset 12 in {path.resolve()}")


def fail_with_path(path: Path, content_type: str, budget: object) -> str:
    raise ExtractionFailed(f"cannot parse '{path.resolve()}': broken")


def open_a_missing_file(path: Path, content_type: str, budget: object) -> str:
    return (path.parent / "no such part.xml").read_text()


HELD_SECONDS = 1.0
SEEN_TOO_MANY = 3  # children alive at once that end the wait early: the cap failed


def _alive(folder: Path) -> int:
    names = [entry.name for entry in folder.iterdir()]
    return sum(name.endswith(".start") for name in names) - sum(
        name.endswith(".end") for name in names
    )


def hold_a_child(path: Path, content_type: str, budget: object) -> str:
    """Records its start and end in the file's folder and, meanwhile, the most children it saw
    alive at once (its `.peak` file); holds its slot for HELD_SECONDS, or less if it sees
    SEEN_TOO_MANY alive (no need to wait longer: the cap failed)."""
    folder, pid = path.parent, os.getpid()
    (folder / f"{pid}.start").touch()
    peak, deadline = 0, time.monotonic() + HELD_SECONDS
    while time.monotonic() < deadline and peak < SEEN_TOO_MANY:
        peak = max(peak, _alive(folder))
        time.sleep(0.01)
    (folder / f"{pid}.peak").write_text(str(peak))
    (folder / f"{pid}.end").touch()
    return "held"
