"""On SQLite, wakes this process's subscribers when another process has committed: a second
server process, a `taskloom worker`, a `taskloom ingest`. PostgreSQL has LISTEN/NOTIFY for this
(infra/events/postgres_relay.py); SQLite has `PRAGMA data_version`, which changes on a connection
when any other connection commits to the file.

One PRAGMA a second per process, and only while someone is subscribed; not one query a second
per subscriber. What changed is unknown, so every subscriber reads its state again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from tortoise import connections

from infra.events.bus import EventBus

WATCH_SECONDS = 1.0
logger = logging.getLogger("taskloom.events")


class SQLiteWatcher:
    def __init__(self, bus: EventBus, interval: float = WATCH_SECONDS) -> None:
        self.bus = bus
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._version: int | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if self.bus.has_subscribers:
                await self.check()
            else:
                self._version = None  # unwatched from here on

    async def check(self) -> bool:
        """Reads the data version; wakes every subscriber (and says so) if another process may
        have committed since the last read. The first read after a time unwatched wakes them
        too: a subscriber that read its state then must not miss a commit made before it."""
        try:
            version = await _data_version()
        except Exception as error:  # the database is down: subscribers wait, and retry later
            logger.warning("cannot read the database's data_version: %r", error)
            return False
        changed = version != self._version
        self._version = version
        if changed:
            self.bus.wake_all()
        return changed


async def _data_version() -> int:
    _, rows = await connections.get("default").execute_query("PRAGMA data_version")
    return int(rows[0][0])
