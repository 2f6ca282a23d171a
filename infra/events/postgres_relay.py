"""Carries the event bus between processes over PostgreSQL LISTEN/NOTIFY, so that a subscriber
connected to one replica hears of a step recorded, or a document ingested, by another.

Events are small JSON values (a step id, a status change); one that does not fit a NOTIFY
payload is dropped for the others, who still see the state when they next read it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

import asyncpg

from infra.events.bus import EventBus

CHANNEL = "taskloom_events"
MAX_PAYLOAD = 7900  # PostgreSQL's limit is 8000 bytes
RETRY_SECONDS = 5
logger = logging.getLogger("taskloom.events")


class PostgresRelay:
    def __init__(self, dsn: str, bus: EventBus) -> None:
        self.dsn = dsn
        self.bus = bus
        self.origin = uuid.uuid4().hex[:12]
        self._connection: Any = None
        self._lock = asyncio.Lock()  # one connection: one statement at a time
        self._sending: set[asyncio.Task[None]] = set()
        self._retrying: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connects now if it can; otherwise keeps trying in the background, so a database that
        is down at start-up delays the relay, not the service."""
        if not await self._connect():
            self._retrying = asyncio.get_running_loop().create_task(self._keep_trying())

    async def _connect(self) -> bool:
        try:
            connection = await asyncpg.connect(self.dsn, timeout=5)
            await connection.add_listener(CHANNEL, self._received)
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            logger.warning("event relay: cannot reach PostgreSQL yet: %r", error)
            return False
        self._connection = connection
        self.bus.forward = self._forward
        return True

    async def _keep_trying(self) -> None:
        while True:
            await asyncio.sleep(RETRY_SECONDS)
            if await self._connect():
                return

    async def stop(self) -> None:
        if self._retrying is not None:
            self._retrying.cancel()
        self.bus.forward = None
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
        if self._connection is not None:
            await self._connection.close()

    def _forward(self, topic: str, event: Any) -> None:
        payload = json.dumps({"origin": self.origin, "topic": topic, "event": event})
        if len(payload.encode()) > MAX_PAYLOAD:
            logger.warning("event on %s too large to relay", topic)
            return
        task = asyncio.get_running_loop().create_task(self._notify(payload))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _notify(self, payload: str) -> None:
        try:
            async with self._lock:
                await self._connection.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
        except (OSError, asyncpg.PostgresError) as error:
            logger.warning("could not relay an event: %r", error)

    def _received(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        message = json.loads(payload)
        if message.get("origin") != self.origin:
            self.bus.deliver(message["topic"], message["event"])
