"""A least-recently-used map bounded by bytes, not entries: the caches of documents anyone may
send must not grow with what they send. Each entry is charged what its owner says it costs."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

# What a key, its slot in the map and the entry's bookkeeping take beside the value itself.
ENTRY_OVERHEAD_BYTES = 256


class ByteBoundedLRU(Generic[K, V]):
    def __init__(self, max_bytes: int, max_entry_bytes: int | None = None) -> None:
        self.max_bytes = max_bytes
        # One entry may take this much at most, so no single document flushes the others.
        self.max_entry_bytes = max_bytes // 8 if max_entry_bytes is None else max_entry_bytes
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._bytes = 0

    @property
    def bytes(self) -> int:
        """What the entries kept are charged, in all."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is None:
            return None
        self._entries.move_to_end(key)
        return found[0]

    def put(self, key: K, value: V, cost: int) -> bool:
        """Keep `value` (replacing what `key` held), evicting the least recently used entries
        until the total fits; False, keeping nothing, when the entry alone is too large."""
        self.discard(key)
        cost += ENTRY_OVERHEAD_BYTES
        if cost > self.max_entry_bytes or cost > self.max_bytes:
            return False
        self._entries[key] = (value, cost)
        self._bytes += cost
        while self._bytes > self.max_bytes:
            _, (_, evicted) = self._entries.popitem(last=False)
            self._bytes -= evicted
        return True

    def discard(self, key: K) -> None:
        found = self._entries.pop(key, None)
        if found is not None:
            self._bytes -= found[1]
