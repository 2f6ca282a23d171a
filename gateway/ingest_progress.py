"""What `taskloom ingest` shows while it waits: on a terminal, tqdm's bar over the files' bytes
(rate and time left), with each finished file printed above it; elsewhere (a log, a pipe) only
the plain lines, one per finished file, and the summary."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Sequence
from typing import TextIO

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from resolvers.ingest import FileProgress


class IngestProgress:
    def __init__(self, documents: Sequence[FileProgress], out: TextIO) -> None:
        self.out = out
        self.count = len(documents)
        self.total_bytes = sum(document.size for document in documents)
        self.finished: dict[int, FileProgress] = {}
        self.started = time.monotonic()
        self.bar = tqdm(
            total=self.total_bytes,
            desc="ingesting",
            unit="B",
            unit_scale=True,
            file=out,
            dynamic_ncols=True,
            disable=not out.isatty(),
        )

    @property
    def done(self) -> bool:
        return len(self.finished) == self.count

    @property
    def failed(self) -> int:
        return sum(d.failed for d in self.finished.values())

    def update(self, documents: Sequence[FileProgress]) -> None:
        for document in documents:
            if document.finished and document.id not in self.finished:
                self.finished[document.id] = document
                self.bar.write(_line(document, len(self.finished), self.count), file=self.out)
        ingested = sum(d.size if d.id in self.finished else d.size * d.progress for d in documents)
        self.bar.set_postfix_str(f"{len(self.finished)}/{self.count} files", refresh=False)
        self.bar.update(max(0.0, ingested - self.bar.n))

    def close(self) -> None:
        self.bar.close()
        seconds = time.monotonic() - self.started
        ready = len(self.finished) - self.failed
        print(
            f"ingested {len(self.finished)}/{self.count} file(s): {ready} ready, "
            f"{self.failed} failed, {self.total_bytes / 1e6:.1f} MB in {seconds:.1f} s",
            file=self.out,
        )


def _line(document: FileProgress, position: int, count: int) -> str:
    if document.failed:
        return f"[{position}/{count}] failed {document.description}: {document.error}"
    return f"[{position}/{count}] ready  {document.description} ({document.chunk_count} chunks)"


@contextlib.contextmanager
def shown(documents: Sequence[FileProgress], out: TextIO) -> Iterator[IngestProgress]:
    """The progress display; log records pass above the bar instead of through it."""
    progress = IngestProgress(documents, out)
    try:
        with logging_redirect_tqdm(loggers=[logging.getLogger()]):
            yield progress
    finally:
        progress.close()
