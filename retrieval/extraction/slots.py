"""A cap on the extraction children alive at once in this process: each may use up to its memory
limit, so five zip bombs at once must not mean five children at once. `extract_text` runs in
threads (`asyncio.to_thread`), hence a lock and a condition, not an asyncio primitive."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_CHILDREN = 2


class ChildSlots:
    def __init__(self, limit: int = DEFAULT_CHILDREN) -> None:
        self._limit = limit
        self._active = 0
        self._changed = threading.Condition()

    @property
    def limit(self) -> int:
        return self._limit

    def set_limit(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("at least one extraction child must be allowed")
        with self._changed:
            self._limit = limit
            self._changed.notify_all()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Waits for a free slot, and holds it for the block (the child's whole life)."""
        with self._changed:
            self._changed.wait_for(lambda: self._active < self._limit)
            self._active += 1
        try:
            yield
        finally:
            with self._changed:
                self._active -= 1
                self._changed.notify()


CHILD_SLOTS = ChildSlots()


def set_extraction_children(limit: int) -> None:
    """At most `limit` extraction children at once in this process.

    Set at start-up from TASKLOOM_EXTRACTION_CHILDREN."""
    CHILD_SLOTS.set_limit(limit)
