"""Tortoise's SQLite engine, with transactions that take the write lock when they begin.

SQLite lets one connection write at a time. A transaction that begins DEFERRED, reads, and then
writes cannot wait for the lock if another process committed after its read: SQLite answers
"database is locked" at once (its snapshot is stale), whatever the busy timeout. With several
processes on one file (`serve --workers`, a `taskloom worker`), two concurrent steps failed that
way. BEGIN IMMEDIATE takes the lock first, so a transaction waits its turn (up to the busy
timeout) instead. The transactions here are all writes, so nothing is lost by it.

Selected by `"engine": "models.sqlite_engine"` in models/config.py; Tortoise looks up
`client_class` in an engine module.
"""

from __future__ import annotations

import sqlite3

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
    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransaction(self), self._lock)


client_class = ImmediateSqliteClient
