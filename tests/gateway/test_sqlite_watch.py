"""On SQLite, a commit by another connection (another process) wakes this process's
subscribers; its own commits, and quiet periods, do not."""

from __future__ import annotations

import sqlite3

import pytest

from infra.events.bus import WAKE_UP, EventBus
from infra.events.sqlite_watch import SQLiteWatcher
from models import User
from tests.conftest import BACKEND
from tests.support.api import register

pytestmark = pytest.mark.skipif(
    BACKEND != "sqlite", reason="PostgreSQL uses LISTEN/NOTIFY (tests/gateway/test_replicas.py)"
)


async def test_another_connections_commit_wakes_every_subscriber(client, database_url):
    await register(client)
    bus = EventBus()
    watcher = SQLiteWatcher(bus)
    async with bus.subscribe("task:1") as first, bus.subscribe("document:2") as second:
        assert await watcher.check() is True  # the first reading wakes, to miss nothing before it
        assert first.get_nowait() is WAKE_UP and second.get_nowait() is WAKE_UP
        assert await watcher.check() is False
        await User.filter(id__gte=1).update(name="Renamed here")  # this process's own write
        assert await watcher.check() is False
        assert first.empty() and second.empty()

        with sqlite3.connect(database_url.removeprefix("sqlite://")) as other:
            other.execute("UPDATE users SET name = 'Renamed elsewhere'")
        assert await watcher.check() is True
        assert first.get_nowait() is WAKE_UP and second.get_nowait() is WAKE_UP
        assert await watcher.check() is False  # nothing new since
