"""The batching the loaders share: one fetch for every key asked for in a turn of the loop."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ManyLoader(ABC, Generic[K, V]):
    """Batches every `load_many` made in one turn of the event loop into one `fetch`, with one
    future per call rather than per key: a nested read asks for thousands of keys at once."""

    def __init__(self) -> None:
        self._pending: list[tuple[list[K], asyncio.Future[list[V]]]] = []
        self._cache: dict[K, V] = {}

    @abstractmethod
    async def fetch(self, keys: list[K]) -> Sequence[V]:
        """The values of `keys` (distinct, none cached yet), in key order."""

    def load_many(self, keys: Iterable[K]) -> asyncio.Future[list[V]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[V]] = loop.create_future()
        self._pending.append((list(keys), future))
        if len(self._pending) == 1:
            loop.call_soon(lambda: loop.create_task(self._dispatch()))
        return future

    async def load(self, key: K) -> V:
        return (await self.load_many([key]))[0]

    async def _dispatch(self) -> None:
        batch, self._pending = self._pending, []
        wanted = list(dict.fromkeys(k for keys, _ in batch for k in keys if k not in self._cache))
        try:
            if wanted:
                self._cache.update(zip(wanted, await self.fetch(wanted), strict=True))
        except Exception as error:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for keys, future in batch:
            if not future.done():
                future.set_result([self._cache[key] for key in keys])


def grouped(rows: Sequence[V], key: Callable[[V], K], keys: Sequence[K]) -> list[list[V]]:
    """`rows` grouped by `key`, one group per key of `keys` in their order (empty if none)."""
    groups: dict[K, list[V]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return [groups.get(k, []) for k in keys]
