"""The ingestion worker: claims jobs from the durable job table and drives each document through
extract -> chunk -> embed -> index, publishing progress as it goes.

A worker holds a job by a lease that it renews while it works. If the process dies, the lease
runs out and any worker (this process after a restart, or another replica) takes the job again;
the attempt starts over from the stored file after removing what the dead one left, so chunks are
never duplicated. A store that is down makes the job wait and retry with back-off; a file that
cannot be read fails its document for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models import Chunk, IngestionJob, IngestionStatus, KnowledgeDocument
from resolvers.errors import Unavailable
from resolvers.events import EventBus
from resolvers.storage import BlobMissing, BlobStore
from retrieval.embedders import EmbeddingFailed
from retrieval.extraction import ExtractionError, extract_text_async
from retrieval.retriever import ChunkToIndex, Retriever
from retrieval.stores.base import StoreUnavailable

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


def document_topic(document_id: int) -> str:
    return f"document:{document_id}"


@dataclass
class WorkerOptions:
    max_attempts: int = 8
    lease_seconds: float = 60.0
    idle_poll_seconds: float = 2.0
    first_backoff_seconds: float = 1.0


async def requeue_everything() -> int:
    """After the store was emptied (another embedding model), every document is ingested again,
    so that the index never mixes vectors of two models. Returns how many were queued."""
    now = datetime.now(UTC)
    waiting = set(await IngestionJob.all().values_list("document_id", flat=True))
    documents = await KnowledgeDocument.exclude(status=IngestionStatus.FAILED).values_list(
        "id", flat=True
    )
    todo = [document_id for document_id in documents if document_id not in waiting]
    await KnowledgeDocument.filter(id__in=todo).update(status=IngestionStatus.QUEUED, progress=0.0)
    await IngestionJob.bulk_create([IngestionJob(document_id=d, run_after=now) for d in todo])
    return len(todo)


class IngestionWorker:
    def __init__(
        self,
        blobs: BlobStore,
        retriever: Retriever,
        events: EventBus,
        options: WorkerOptions | None = None,
    ) -> None:
        self.blobs = blobs
        self.retriever = retriever
        self.events = events
        self.options = options or WorkerOptions()
        self.worker_id = uuid.uuid4().hex
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, concurrency: int = 1) -> None:
        for _ in range(concurrency):
            self._tasks.append(asyncio.create_task(self._loop(), name="ingestion-worker"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                job = await self.claim()
            except Exception as error:  # the database is down: try again at the next poll
                logger.warning("cannot claim ingestion jobs: %r", error)
                job = None
            if job is not None:
                await self.run(job)
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.options.idle_poll_seconds)

    async def claim(self) -> IngestionJob | None:
        """Take the next due job whose lease is free, or None. The conditional update makes the
        claim safe against every other worker, in this process or another."""
        now = datetime.now(UTC)
        free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        candidates = await IngestionJob.filter(free, run_after__lte=now).order_by("run_after")
        for job in candidates[:8]:
            claimed = await IngestionJob.filter(
                Q(id=job.id) & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            ).update(lease_owner=self.worker_id, lease_until=self._lease_end())
            if claimed:
                await job.refresh_from_db()
                return job
        return None

    def _lease_end(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.options.lease_seconds)

    async def run(self, job: IngestionJob) -> None:
        document = await KnowledgeDocument.get_or_none(id=job.document_id)
        if document is None:  # deleted meanwhile
            await job.delete()
            return
        heartbeat = asyncio.create_task(self._renew_lease(job))
        try:
            await self._ingest(document)
        except (ExtractionError, BlobMissing) as error:
            await self._fail(document, job, str(error))
        except RETRYABLE as error:
            await self._retry(document, job, error)
        except asyncio.CancelledError:
            raise  # the process is going away: the lease runs out and the job resumes later
        except Exception as error:
            if not await KnowledgeDocument.exists(id=document.id):
                return  # deleted while we worked: nothing is left to fail
            logger.exception("ingestion of document %s failed", document.id)
            await self._fail(document, job, f"ingestion failed: {type(error).__name__}")
        else:
            await job.delete()
        finally:
            heartbeat.cancel()

    async def _renew_lease(self, job: IngestionJob) -> None:
        while True:
            await asyncio.sleep(self.options.lease_seconds / 3)
            await IngestionJob.filter(id=job.id, lease_owner=self.worker_id).update(
                lease_until=self._lease_end()
            )

    async def _ingest(self, document: KnowledgeDocument) -> None:
        await self._set(document, IngestionStatus.EXTRACTING, 0.02, error=None)
        # An earlier attempt may have left chunks behind: start clean.
        await self.retriever.delete_document(document.owner_id, document.id)
        await Chunk.filter(document_id=document.id).delete()
        async with self.blobs.local_file(document.sha256) as path:
            text = await extract_text_async(path, document.content_type)
        prepared = await asyncio.to_thread(self.retriever.prepare, document.title, text)
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
                    for p in prepared
                ]
            )
        rows = await Chunk.filter(document_id=document.id).order_by("index").values("id", "index")
        by_index = {p.span.index: p for p in prepared}
        chunks = [
            ChunkToIndex(
                row["id"],
                by_index[row["index"]].span.text,
                by_index[row["index"]].embedding_input,
                by_index[row["index"]].context,
            )
            for row in rows
        ]
        await self._set(document, IngestionStatus.EMBEDDING, 0.1, chunk_count=len(chunks))

        async def embedded(done: int, total: int) -> None:
            await self._set(document, IngestionStatus.EMBEDDING, 0.1 + 0.7 * done / total)

        title = document.title
        vectors = await self.retriever.embed(chunks, embedded)
        await self._set(document, IngestionStatus.INDEXING, 0.8)

        async def indexed(done: int, total: int) -> None:
            await self._set(document, IngestionStatus.INDEXING, 0.8 + 0.2 * done / total)

        owner_id: int = document.owner_id
        await self.retriever.index(
            owner_id=owner_id,
            document_id=document.id,
            title=title,
            chunks=chunks,
            vectors=vectors,
            progress=indexed,
        )
        if not await KnowledgeDocument.exists(id=document.id):
            # Deleted while we worked: take back what we just indexed.
            await self.retriever.delete_document(owner_id, document.id)
            return
        await self._set(document, IngestionStatus.READY, 1.0, error=None)

    async def _set(
        self, document: KnowledgeDocument, status: IngestionStatus, progress: float, **extra: object
    ) -> None:
        changes = {"status": status, "progress": round(min(progress, 1.0), 4), **extra}
        await KnowledgeDocument.filter(id=document.id).update(**changes, updated=datetime.now(UTC))
        for name, value in changes.items():
            setattr(document, name, value)
        self.events.publish(document_topic(document.id), changes)

    async def _fail(self, document: KnowledgeDocument, job: IngestionJob, reason: str) -> None:
        await Chunk.filter(document_id=document.id).delete()
        await self._set(
            document, IngestionStatus.FAILED, document.progress, error=reason, chunk_count=0
        )
        await job.delete()

    async def _retry(
        self, document: KnowledgeDocument, job: IngestionJob, error: Exception
    ) -> None:
        attempts = job.attempts + 1
        if attempts >= self.options.max_attempts:
            await self._fail(document, job, f"gave up after {attempts} attempts: {error}")
            return
        delay = min(self.options.first_backoff_seconds * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)
        logger.warning("document %s: %s; retrying in %.0fs", document.id, error, delay)
        await IngestionJob.filter(id=job.id).update(
            attempts=attempts,
            run_after=datetime.now(UTC) + timedelta(seconds=delay),
            lease_owner=None,
            lease_until=None,
            last_error=str(error),
        )
        message = f"waiting to retry (attempt {attempts} of {self.options.max_attempts}): {error}"
        await self._set(document, IngestionStatus.QUEUED, 0.0, error=message)
