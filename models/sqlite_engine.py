"""Tortoise's SQLite engine, with transactions that take the write lock when they begin.

SQLite lets one connection write at a time. A transaction that begins DEFERRED, reads, and then
writes cannot wait for the lock if another process committed after its read: SQLite answers
"database is locked" at once (its snapshot is stale), whatever the busy timeout. With several
processes on one file (`serve --workers`, a `taskloom worker`), two concurrent steps failed that
way. BEGIN IMMEDIATE takes the lock first, so a transaction waits its turn (up to the busy
timeout) instead. The transactions here are all writes, so nothing is lost by it.

Small reads that must not wait behind the queue can be made on the event loop through a second
connection (`read_now`): aiosqlite runs every statement on one thread, behind one lock, and
under 8 concurrent requests the hop there and back cost `GET /users/me` 340 of its 520 µs; a
read of one row by its key takes some 15 µs here.

Selected by `"engine": "models.sqlite_engine"` in models/database.py; Tortoise looks up
`client_class` in an engine module.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError


class ImmediateTransaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise TransactionManagementError(error) from error


class ImmediateSqliteClient(SqliteClient):
    _reader: sqlite3.Connection | None = None

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransaction(self), self._lock)

    def read_now(self, query: str, values: list[Any]) -> list[dict[str, Any]] | None:
        """The rows of a small read, run on the calling thread; None when SQLite cannot answer
        at once (busy), so that the caller reads the usual way. Outside a transaction only: it
        sees what is committed."""
        try:
            if self._reader is None:
                self._reader = self._open_reader()
            self.log.debug("%s: %s", query, values)
            return [dict(row) for row in self._reader.execute(query, values)]
        except sqlite3.OperationalError:
            return None

    def _open_reader(self) -> sqlite3.Connection:
        # No busy timeout: the event loop must never wait on a lock.
        reader = sqlite3.connect(self.filename, timeout=0, isolation_level=None)
        reader.row_factory = sqlite3.Row
        reader.execute("PRAGMA query_only = ON")
        return reader

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        await super().close()


client_class = ImmediateSqliteClient
