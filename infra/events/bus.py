"""In-process broadcast for subscriptions: a topic per object (`document:7`, `task:3`).

Subscribers get every event published after they subscribed; a slow subscriber's queue is bounded
and keeps the newest events (a subscription re-reads the current state anyway). Across processes
(replicas, `serve --workers`, `taskloom worker`, `taskloom ingest`) they travel over LISTEN/NOTIFY
on PostgreSQL (`infra/events/postgres_relay.py`); on SQLite a watcher wakes every subscriber when
another process has committed (`infra/events/sqlite_watch.py`).

Events only say "look again": a subscriber then reads the current state. It also looks again
every SAFETY_POLL_SECONDS without one, so that a notification lost (while the relay reconnected,
say) delays an update but never loses it.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

QUEUE_SIZE = 256
SAFETY_POLL_SECONDS = 15.0
WAKE_UP = object()  # "something changed, look again", for every subscriber


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

    def wake_all(self) -> None:
        """Every subscriber looks again (another process changed something, unknown what)."""
        for topic in list(self._subscribers):
            self.deliver(topic, WAKE_UP)

    @property
    def has_subscribers(self) -> bool:
        return bool(self._subscribers)

    async def wait(self, queue: asyncio.Queue[Any]) -> None:
        """Until an event arrives on `queue`, or SAFETY_POLL_SECONDS pass; then the subscriber
        reads the current state. Events that piled up meanwhile are read once."""
        try:
            async with asyncio.timeout(SAFETY_POLL_SECONDS):
                await queue.get()
        except TimeoutError:
            return
        while not queue.empty():
            queue.get_nowait()
