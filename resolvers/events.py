"""In-process broadcast for subscriptions: a topic per object (`document:7`, `task:3`).

Subscribers get every event published after they subscribed; a slow subscriber's queue is bounded
and keeps the newest events (a subscription re-reads the current state anyway). Across processes
(replicas, `serve --workers`) a relay carries them on PostgreSQL: `resolvers/event_relay.py`.

Events only say "look again". A subscription also looks again every `poll_seconds` without one:
that is how, on SQLite, it sees what another process changed (a second server process, a
`taskloom worker` or `taskloom ingest`), and how, on PostgreSQL, it recovers a notification lost
while the relay reconnected.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

QUEUE_SIZE = 256
POLL_SECONDS = 1.0  # no relay: another process's changes are seen within a second
RELAYED_POLL_SECONDS = 15.0  # a relay carries them at once; this is the safety net


class EventBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[Any]]] = defaultdict(set)
        # Set by a relay that carries events to the other processes (PostgreSQL LISTEN/NOTIFY).
        self.forward: Callable[[str, Any], None] | None = None

    def publish(self, topic: str, event: Any) -> None:
        """Deliver to this process's subscribers, and to the other processes' through the relay."""
        self.deliver(topic, event)
        if self.forward is not None:
            self.forward(topic, event)

    def deliver(self, topic: str, event: Any) -> None:
        for queue in self._subscribers.get(topic, ()):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[Any]]:
        queue: asyncio.Queue[Any] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers[topic].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[topic].discard(queue)
            if not self._subscribers[topic]:
                del self._subscribers[topic]

    @property
    def poll_seconds(self) -> float:
        return POLL_SECONDS if self.forward is None else RELAYED_POLL_SECONDS

    async def wait(self, queue: asyncio.Queue[Any]) -> None:
        """Until an event arrives on `queue` or `poll_seconds` pass, whichever is first; then the
        subscriber reads the current state. Events that piled up meanwhile are read once."""
        try:
            async with asyncio.timeout(self.poll_seconds):
                await queue.get()
        except TimeoutError:
            return
        while not queue.empty():
            queue.get_nowait()

    def subscriber_count(self, topic: str) -> int:
        return len(self._subscribers.get(topic, ()))
