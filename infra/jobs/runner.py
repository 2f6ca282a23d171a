"""Runs the durable ingestion queue (infra/jobs/ingestion_queue.py): claims a job, keeps its lease
while one turn of work on it runs, then claims the next, so other owners' jobs take their turns
between the batches of a large one. What a turn does is the pipeline's (retrieval/ingestion.py);
the runner knows only the queue and the lease."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from infra.jobs import ingestion_queue
from models import IngestionJob

logger = logging.getLogger("taskloom.ingestion")


@dataclass(frozen=True)
class RunnerOptions:
    lease_seconds: float = 60.0
    idle_poll_seconds: float = 2.0


class JobRunner:
    def __init__(
        self, work: Callable[[IngestionJob], Awaitable[None]], options: RunnerOptions | None = None
    ) -> None:
        self.work = work
        self.options = options or RunnerOptions()
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
                job = await ingestion_queue.claim(self.worker_id, self.options.lease_seconds)
            except Exception as error:  # the database is down: try again at the next poll
                logger.warning("cannot claim ingestion jobs: %r", error)
                job = None
            if job is not None:
                await self.run(job)
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.options.idle_poll_seconds)

    async def run(self, job: IngestionJob) -> None:
        """One turn of work on a claimed job, its lease renewed until the turn ends."""
        heartbeat = asyncio.create_task(self._renew_lease(job))
        try:
            await self.work(job)
        finally:
            heartbeat.cancel()

    async def _renew_lease(self, job: IngestionJob) -> None:
        while True:
            await asyncio.sleep(self.options.lease_seconds / 3)
            await ingestion_queue.renew_lease(job, self.worker_id, self.options.lease_seconds)
