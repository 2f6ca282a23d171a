"""The durable ingestion queue: the job table, claimed with a lease and served fairly by owner.

Fairness is a virtual clock, `turn`. The queue's head is the smallest turn waiting; a new piece
of work (a document, or the next batch of a large one) is placed one turn after the later of the
head and its owner's last queued turn. So each owner's queue is served in order, and owners take
turns: a user who queues a thousand batches holds back nobody else by more than one batch.
Claims read the head with `LIMIT` in SQL (an index on turn), never the whole table.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from models import IngestionJob, IngestionStatus, KnowledgeDocument

CLAIM_CANDIDATES = 8  # rows a claim reads: enough to skip the few that other workers just took


async def next_turn(owner_id: int, *, job_id: int | None = None) -> float:
    """The turn for an owner's next piece of work (for job `job_id`, when it goes round again)."""
    others = IngestionJob.all() if job_id is None else IngestionJob.exclude(id=job_id)
    head = await others.order_by("turn").first().values_list("turn", flat=True)
    last = (
        await others.filter(owner_id=owner_id)
        .order_by("-turn")
        .first()
        .values_list("turn", flat=True)
    )
    return _after(head, last)


def _after(head: object, last: object) -> float:
    return max(float(head or 0.0), float(last or 0.0)) + 1.0  # type: ignore[arg-type]


async def enqueue(document: KnowledgeDocument) -> None:
    """Queues the document's ingestion; call it in the transaction that creates the document."""
    owner_id: int = document.owner_id
    await IngestionJob.create(
        document=document,
        owner_id=owner_id,
        turn=await next_turn(owner_id),
        run_after=document.created,
    )


async def claim(worker_id: int | str, lease_seconds: float) -> IngestionJob | None:
    """Takes the first due job in turn order whose lease is free, or None. The conditional update
    makes the claim safe against every other worker, in this process or another."""
    now = datetime.now(UTC)
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    candidates = (
        await IngestionJob.filter(free, run_after__lte=now)
        .order_by("turn", "run_after")
        .limit(CLAIM_CANDIDATES)
        .values_list("id", flat=True)
    )
    for job_id in candidates:
        claimed = await IngestionJob.filter(free, id=job_id).update(
            lease_owner=str(worker_id), lease_until=now + timedelta(seconds=lease_seconds)
        )
        if claimed:
            return await IngestionJob.get_or_none(id=job_id)
    return None


async def renew_lease(job: IngestionJob, worker_id: str, lease_seconds: float) -> None:
    """Keeps a claimed job from being claimed again while its worker is still on it."""
    await IngestionJob.filter(id=job.id, lease_owner=worker_id).update(
        lease_until=datetime.now(UTC) + timedelta(seconds=lease_seconds)
    )


async def go_round(job: IngestionJob) -> None:
    """Releases a job that has more batches to do, placing it at its owner's next turn."""
    turn = await next_turn(job.owner_id, job_id=job.id)
    await IngestionJob.filter(id=job.id).update(
        turn=turn, run_after=datetime.now(UTC), lease_owner=None, lease_until=None, attempts=0
    )


async def retry_later(job: IngestionJob, delay_seconds: float, error: str) -> None:
    """Releases a job whose store was down, to be claimed again after `delay_seconds`; its
    cursor is kept, so the work done so far is not done again."""
    await IngestionJob.filter(id=job.id).update(
        attempts=job.attempts + 1,
        run_after=datetime.now(UTC) + timedelta(seconds=delay_seconds),
        lease_owner=None,
        lease_until=None,
        last_error=error,
    )


async def depth() -> int:
    """Jobs not yet finished: the table holds only unfinished work."""
    return await IngestionJob.all().count()


async def requeue_everything() -> int:
    """After the store was emptied (another embedding model), every document is ingested again
    from the start, so that the index never mixes vectors of two models. Returns how many."""
    now = datetime.now(UTC)
    restart = {"text_bytes": None, "next_char": 0, "next_byte": 0, "next_index": 0}
    await IngestionJob.all().update(**restart, indexed_chunks=0)
    waiting = set(await IngestionJob.all().values_list("document_id", flat=True))
    documents = await KnowledgeDocument.exclude(status=IngestionStatus.FAILED).values_list(
        "id", "owner_id"
    )
    todo = [(document_id, owner) for document_id, owner in documents if document_id not in waiting]
    await KnowledgeDocument.filter(id__in=[d for d, _ in todo]).update(
        status=IngestionStatus.QUEUED, progress=0.0
    )
    head = await IngestionJob.all().order_by("turn").first().values_list("turn", flat=True)
    last: dict[int, float] = {}
    jobs = []
    for document_id, owner_id in todo:
        last[owner_id] = _after(head, last.get(owner_id))
        jobs.append(
            IngestionJob(
                document_id=document_id, owner_id=owner_id, turn=last[owner_id], run_after=now
            )
        )
    await IngestionJob.bulk_create(jobs)
    return len(todo)
