"""In-process broadcast for subscriptions: a topic per object (`document:7`, `task:3`).

Subscribers get every event published after they subscribed; a slow subscriber's queue is bounded
and keeps the newest events (a subscription re-reads the current state anyway). Across processes
(replicas, `serve --workers`) a relay carries them: `resolvers/event_relay.py`.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

QUEUE_SIZE = 256


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

    def subscriber_count(self, topic: str) -> int:
        return len(self._subscribers.get(topic, ()))
