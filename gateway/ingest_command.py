"""`taskloom ingest` and `taskloom worker`: the knowledge base from the command line."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import anyio

from gateway.ingest_progress import shown
from gateway.services import build_services, running
from infra.errors import DomainError, NotFound
from infra.settings.values import Settings
from models.database import database
from resolvers import knowledge
from resolvers.ingest import context_for_username, files_progress, jobs_left


class LocalFile:
    """A file on disk shaped like an upload: `read(size)` in chunks, a name, no declared type."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.filename = path.name
        self.content_type: str | None = None
        self._handle = path.open("rb")

    async def read(self, size: int) -> bytes:
        return await anyio.to_thread.run_sync(self._handle.read, size)

    def close(self) -> None:
        self._handle.close()


def files_under(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden:
                    yield child
        elif path.is_file():
            yield path
        else:
            raise NotFound(f"{path}: no such file or folder")


async def ingest(
    settings: Settings, paths: list[Path], username: str, *, wait: bool, out: TextIO = sys.stderr
) -> int:
    """Queues every file; with `wait`, ingests them here and shows progress. Returns the number
    of files that failed or were refused."""
    services = build_services(settings)
    async with database(settings.database_url):
        context = await context_for_username(services, username)
        queued: list[int] = []
        refused = 0
        for path in files_under(paths):
            upload = LocalFile(path)
            try:
                title = path.stem.replace("_", " ").replace("-", " ").strip() or path.name
                document = await knowledge.upload_document(
                    context, title=title, description=str(path), upload=upload
                )
                queued.append(document.id)
            except DomainError as error:
                refused += 1
                print(f"skipped {path}: {error.message}", file=out)
            finally:
                upload.close()
        print(f"queued {len(queued)} file(s)", file=out)
        if not wait or not queued:
            return refused
        async with running(services, workers=settings.retrieval.ingestion_workers or 1):
            failed = await _follow(queued, out)
        return refused + failed


async def _follow(document_ids: list[int], out: TextIO) -> int:
    files = await files_progress(document_ids)
    with shown(files, out) as progress:
        while True:
            progress.update(files)
            if progress.done:
                return progress.failed
            await asyncio.sleep(0.2)
            files = await files_progress(document_ids)


async def work(settings: Settings, *, until_idle: bool, concurrency: int) -> None:
    """Runs ingestion workers in the foreground; `until_idle` returns once no job is left."""
    services = build_services(settings)
    async with database(settings.database_url), running(services, workers=concurrency):
        while True:
            await asyncio.sleep(0.2)
            if until_idle and not await jobs_left():
                return
