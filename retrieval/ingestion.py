"""The ingestion pipeline: one turn of a queued document's way through extract -> chunk ->
embed -> index, one batch of chunks per turn. The job runner (infra/jobs/runner.py) claims the
jobs and calls `IngestionPipeline.take_turn` for each claim.

The first claim extracts the document's text into a file of its own (retrieval/text_file.py);
each claim then cuts the next batch of chunks from a window of that file, stores the chunk rows
and the advanced cursor in one transaction, embeds and indexes them, and gives the job back to
the queue, where other owners' work takes its turn before the next batch. Time is linear in the
document's size and memory is bounded by a window, however large the document.

Nothing is lost or duplicated when a process dies: a job whose lease ran out is claimed again
and resumes from its cursor. Chunk rows of a batch that was stored but not yet indexed are
embedded and indexed again under the same ids (stores upsert by chunk id). A store that is down
makes the job wait and retry with back-off; a file that cannot be read fails its document.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from tortoise.transactions import in_transaction

from infra import metrics
from infra.blobs.storage import BlobMissing, BlobStore
from infra.errors import Unavailable
from infra.events.bus import EventBus
from infra.jobs import ingestion_queue
from models import Chunk, IngestionJob, IngestionStatus, KnowledgeDocument
from retrieval.embedders import EmbeddingFailed
from retrieval.extraction import ExtractionError, extract_text_async
from retrieval.indexing import PreparedChunk, embedding_input
from retrieval.retriever import ChunkToIndex, Retriever
from retrieval.stores.base import StoreUnavailable
from retrieval.text_file import Cursor, TextWindow, read_window, write_text

logger = logging.getLogger("taskloom.ingestion")

# A store that is down (the chunk store, the file store, the embedding endpoint) is waited for.
RETRYABLE = (
    StoreUnavailable,
    Unavailable,
    EmbeddingFailed,
    ConnectionError,
    TimeoutError,
    OSError,
)
MAX_BACKOFF_SECONDS = 300
EXTRACTED = 0.02  # progress once the text is out; the batches share the rest below 1.0
LAST_BATCH = 0.99  # 1.0 is READY: searchable


_CURSOR_FIELDS = (
    "next_char", "next_byte", "next_index", "indexed_char", "indexed_byte", "indexed_chunks",
)  # fmt: skip


class Turn(enum.Enum):
    MORE = "more"  # batches are left: back to the queue
    DONE = "done"  # every chunk is indexed
    GONE = "gone"  # the document was deleted meanwhile


def cut_batch(
    retriever: Retriever, title: str, window: TextWindow, first_index: int, limit: int
) -> tuple[list[PreparedChunk], Cursor]:
    """Up to `limit` chunks from the window's body, and the cursor of the chunk after them. Only
    chunks the window holds whole, with their context and what decides their ends, are taken;
    offsets are made the text's own, not the window's."""
    safe_end = len(window.text) if window.at_end else len(window.text) - retriever.after_chars
    batch: list[PreparedChunk] = []
    chunks = retriever.prepare_window(
        title, window.text, start=window.body_start, first_index=first_index
    )
    shift = window.cursor.char - window.body_start
    for prepared in chunks:
        if len(batch) == limit or prepared.span.end > safe_end:
            if not batch:
                raise RuntimeError("the window is too small for one chunk")
            return batch, window.cursor_at(prepared.span.start)
        span = prepared.span
        moved = replace(span, start=span.start + shift, end=span.end + shift)
        batch.append(replace(prepared, span=moved))
    return batch, window.cursor_at(len(window.text))


def _to_index(chunk_id: int, prepared: PreparedChunk) -> ChunkToIndex:
    return ChunkToIndex(chunk_id, prepared.span.text, prepared.embedding_input, prepared.context)


def document_topic(document_id: int) -> str:
    return f"document:{document_id}"


@dataclass(frozen=True)
class IngestionOptions:
    max_attempts: int = 8
    first_backoff_seconds: float = 1.0
    batch_chunks: int = 128  # chunks per claim: how long others wait for their turn
    window_bytes: int = 512 * 1024  # the text read per batch, at most
    text_dir: Path = field(default_factory=lambda: Path("var") / "extracted")


class IngestionPipeline:
    def __init__(
        self,
        blobs: BlobStore,
        retriever: Retriever,
        events: EventBus,
        options: IngestionOptions | None = None,
    ) -> None:
        self.blobs = blobs
        self.retriever = retriever
        self.events = events
        self.options = options or IngestionOptions()

    async def take_turn(self, job: IngestionJob) -> None:
        """One turn of a claimed job: extraction if it is new, then one batch of chunks; the
        job then goes round the queue again, waits to retry, or is done."""
        document = await KnowledgeDocument.get_or_none(id=job.document_id)
        if document is None:  # deleted meanwhile
            await job.delete()
            self._text_path(job).unlink(missing_ok=True)
            return
        try:
            turn = await self._turn(document, job)
        except (ExtractionError, BlobMissing) as error:
            await self._fail(document, job, str(error))
        except RETRYABLE as error:
            await self._retry(document, job, error)
        except asyncio.CancelledError:
            raise  # the process is going away: the lease runs out and the job resumes later
        except Exception as error:
            if not await KnowledgeDocument.exists(id=document.id):
                self._text_path(job).unlink(missing_ok=True)
                return  # deleted while we worked: nothing is left to fail
            logger.exception("ingestion of document %s failed", document.id)
            await self._fail(document, job, f"ingestion failed: {type(error).__name__}")
        else:
            if turn is Turn.DONE:
                await self._finish(document, job)
            elif turn is Turn.MORE:
                await ingestion_queue.go_round(job)
        # Deleted under us (the delete removed the text, and this turn may have written it back,
        # whichever way the turn ended): the text must not outlive its document.
        if not await KnowledgeDocument.exists(id=document.id):
            self._text_path(job).unlink(missing_ok=True)

    def _text_path(self, job: IngestionJob) -> Path:
        return self.text_path(job.document_id)

    def text_path(self, document_id: int) -> Path:
        """Where the pipeline keeps a document's extracted text while it ingests it."""
        return self.options.text_dir / f"{document_id}.txt"

    async def _turn(self, document: KnowledgeDocument, job: IngestionJob) -> Turn:
        """Works on the job for one turn: extraction if it is new, then one batch of chunks."""
        path = self._text_path(job)
        if job.text_bytes is None or not path.exists():
            await self._extract(document, job, path)
        if job.indexed_chunks < job.next_index:
            # A batch was stored but its indexing was cut short: index it again, same ids.
            batch = await self._stored_batch(document, job, path)
        elif job.next_byte < (job.text_bytes or 0):
            batch = await self._store_next_batch(document, job, path)
        else:
            return Turn.DONE
        await self._index(document, batch)
        if not await KnowledgeDocument.exists(id=document.id):
            # Deleted while we worked: take back what we just indexed.
            await self.retriever.delete_document(document.owner_id, document.id)
            path.unlink(missing_ok=True)
            return Turn.GONE
        job.indexed_char, job.indexed_byte = job.next_char, job.next_byte
        job.indexed_chunks = job.next_index
        await IngestionJob.filter(id=job.id).update(
            indexed_char=job.indexed_char,
            indexed_byte=job.indexed_byte,
            indexed_chunks=job.indexed_chunks,
        )
        if job.next_byte >= (job.text_bytes or 0):
            return Turn.DONE
        share = job.next_byte / max(job.text_bytes or 1, 1)
        progress = EXTRACTED + (LAST_BATCH - EXTRACTED) * share
        await self._set(
            document, IngestionStatus.EMBEDDING, progress, chunk_count=job.next_index, error=None
        )
        return Turn.MORE

    async def _extract(self, document: KnowledgeDocument, job: IngestionJob, path: Path) -> None:
        """Extracts the text into the job's file. A job that had begun elsewhere (its file is on
        another machine) continues where it was if the text comes out the same, else restarts."""
        if job.text_bytes is None:
            await self._set(document, IngestionStatus.EXTRACTING, EXTRACTED / 2, error=None)
        async with self.blobs.local_file(document.sha256) as source:
            text = await extract_text_async(source, document.content_type)
        size = await asyncio.to_thread(write_text, path, text)
        del text
        if job.text_bytes == size:
            return
        await self._set(document, IngestionStatus.EMBEDDING, EXTRACTED, error=None)
        # A new job, or a text unlike the one its cursors were made for: start clean.
        await self.retriever.delete_document(document.owner_id, document.id)
        restart = {name: 0 for name in _CURSOR_FIELDS}
        async with in_transaction():
            await Chunk.filter(document_id=document.id).delete()
            await IngestionJob.filter(id=job.id).update(text_bytes=size, **restart)
        job.text_bytes = size
        for name, value in restart.items():
            setattr(job, name, value)

    async def _store_next_batch(
        self, document: KnowledgeDocument, job: IngestionJob, path: Path
    ) -> list[ChunkToIndex]:
        """Cuts the next batch from the text and stores its rows with the advanced cursor."""
        first = job.next_index
        batch, cursor = await self._cut(document, path, Cursor(job.next_char, job.next_byte), first)
        async with in_transaction():
            await Chunk.bulk_create(
                [
                    Chunk(
                        document_id=document.id,
                        index=p.span.index,
                        content=p.span.text,
                        start=p.span.start,
                        end=p.span.end,
                    )
                    for p in batch
                ]
            )
            await IngestionJob.filter(id=job.id).update(
                next_char=cursor.char, next_byte=cursor.byte, next_index=first + len(batch)
            )
        job.next_char, job.next_byte, job.next_index = cursor.char, cursor.byte, first + len(batch)
        ids = await self._chunk_ids(document, first, job.next_index)
        return [_to_index(ids[p.span.index], p) for p in batch]

    async def _stored_batch(
        self, document: KnowledgeDocument, job: IngestionJob, path: Path
    ) -> list[ChunkToIndex]:
        """The stored batch that was not indexed, cut again from its cursor for its contexts."""
        first, count = job.indexed_chunks, job.next_index - job.indexed_chunks
        cursor = Cursor(job.indexed_char, job.indexed_byte)
        batch, _ = await self._cut(document, path, cursor, first, limit=count)
        ids = await self._chunk_ids(document, first, job.next_index)
        if [p.span.index for p in batch] != sorted(ids):  # cut otherwise (another version)
            rows = await Chunk.filter(id__in=list(ids.values())).values("id", "content")
            return [
                ChunkToIndex(
                    row["id"], row["content"], embedding_input(document.title, row["content"])
                )
                for row in rows
            ]
        return [_to_index(ids[p.span.index], p) for p in batch]

    async def _cut(
        self,
        document: KnowledgeDocument,
        path: Path,
        cursor: Cursor,
        first_index: int,
        limit: int | None = None,
    ) -> tuple[list[PreparedChunk], Cursor]:
        window = await asyncio.to_thread(
            read_window,
            path,
            cursor,
            before_chars=self.retriever.before_chars,
            body_bytes=self.options.window_bytes,
        )
        limit = self.options.batch_chunks if limit is None else limit
        return await asyncio.to_thread(
            cut_batch, self.retriever, document.title, window, first_index, limit
        )

    async def _chunk_ids(self, document: KnowledgeDocument, first: int, end: int) -> dict[int, int]:
        rows = await Chunk.filter(
            document_id=document.id, index__gte=first, index__lt=end
        ).values_list("index", "id")
        return dict(rows)

    async def _index(self, document: KnowledgeDocument, chunks: list[ChunkToIndex]) -> None:
        if not chunks:
            return
        vectors = await self.retriever.embed(chunks)
        await self.retriever.index(
            owner_id=document.owner_id,
            document_id=document.id,
            title=document.title,
            chunks=chunks,
            vectors=vectors,
        )

    async def _finish(self, document: KnowledgeDocument, job: IngestionJob) -> None:
        self._text_path(job).unlink(missing_ok=True)
        await job.delete()
        await self._set(
            document, IngestionStatus.READY, 1.0, error=None, chunk_count=job.next_index
        )
        metrics.INGESTED.inc()

    async def _set(
        self, document: KnowledgeDocument, status: IngestionStatus, progress: float, **extra: object
    ) -> None:
        if status is not IngestionStatus.READY:
            progress = min(progress, LAST_BATCH)
        changes = {"status": status, "progress": round(progress, 4), **extra}
        await KnowledgeDocument.filter(id=document.id).update(**changes, updated=datetime.now(UTC))
        for name, value in changes.items():
            setattr(document, name, value)
        self.events.publish(document_topic(document.id), changes)

    async def _fail(self, document: KnowledgeDocument, job: IngestionJob, reason: str) -> None:
        self._text_path(job).unlink(missing_ok=True)
        with contextlib.suppress(*RETRYABLE):  # the chunks it holds are taken out when it is up
            await self.retriever.delete_document(document.owner_id, document.id)
        await Chunk.filter(document_id=document.id).delete()
        await self._set(
            document, IngestionStatus.FAILED, document.progress, error=reason, chunk_count=0
        )
        await job.delete()
        metrics.INGESTION_FAILED.inc()

    async def _retry(
        self, document: KnowledgeDocument, job: IngestionJob, error: Exception
    ) -> None:
        attempts = job.attempts + 1
        if attempts >= self.options.max_attempts:
            await self._fail(document, job, f"gave up after {attempts} attempts: {error}")
            return
        delay = min(self.options.first_backoff_seconds * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)
        logger.warning("document %s: %s; retrying in %.0fs", document.id, error, delay)
        await ingestion_queue.retry_later(job, delay, str(error))
        message = f"waiting to retry (attempt {attempts} of {self.options.max_attempts}): {error}"
        await self._set(document, IngestionStatus.QUEUED, document.progress, error=message)
