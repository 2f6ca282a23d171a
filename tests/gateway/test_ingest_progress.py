"""`taskloom ingest`'s display on a terminal: tqdm's bar with rate and time left, finished files
and log records printed above it, and a clean summary as the last line."""

from __future__ import annotations

import io
import logging
import re
import sys

from gateway.ingest_progress import shown
from models import IngestionStatus, KnowledgeDocument
from resolvers.ingest import FileProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def document(id: int, status: IngestionStatus, progress: float) -> FileProgress:
    row = KnowledgeDocument(
        id=id,
        size=1_000_000,
        status=status,
        progress=progress,
        description=f"file{id}.txt",
        error="not a text file" if status is IngestionStatus.FAILED else None,
    )
    return FileProgress.of(row)


def test_a_terminal_gets_a_bar_with_rate_and_time_left_then_a_summary(monkeypatch):
    out = Terminal()
    # As in `taskloom`: the bar and the log handler share standard error.
    monkeypatch.setattr(sys, "stderr", out)
    monkeypatch.setattr(logging.getLogger(), "handlers", [logging.StreamHandler(sys.stderr)])
    with shown([document(1, IngestionStatus.QUEUED, 0.0)] * 2, out) as progress:
        progress.update(
            [document(1, IngestionStatus.EMBEDDING, 0.5), document(2, IngestionStatus.QUEUED, 0)]
        )
        logging.getLogger("taskloom").warning("a log record while the bar is shown")
        progress.update(
            [document(1, IngestionStatus.READY, 1.0), document(2, IngestionStatus.FAILED, 0.2)]
        )
        assert progress.done and progress.failed == 1
    text = out.getvalue()
    assert "ingesting" in text and "B/s" in text and "<" in text  # rate, elapsed<left
    assert "2/2 files" in text and "2.00M/2.00M" in text
    # Each written over the bar's line (a carriage return clears it), the bar drawn again below.
    assert "\r[1/2] ready  file1.txt (0 chunks)\n" in text
    assert "\r[2/2] failed file2.txt: not a text file\n" in text
    assert "a log record while the bar is shown\n" in text
    assert re.search(r"\ningested 2/2 file\(s\): 1 ready, 1 failed, 2\.0 MB in [\d.]+ s\n$", text)


def test_without_a_terminal_only_plain_lines_are_written():
    out = io.StringIO()
    with shown([document(1, IngestionStatus.QUEUED, 0.0)], out) as progress:
        progress.update([document(1, IngestionStatus.EMBEDDING, 0.5)])
        progress.update([document(1, IngestionStatus.READY, 1.0)])
    lines = out.getvalue().splitlines()
    assert lines[0] == "[1/1] ready  file1.txt (0 chunks)"
    assert lines[1].startswith("ingested 1/1 file(s): 1 ready, 0 failed")
    assert "\r" not in out.getvalue()
