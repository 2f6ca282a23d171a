"""How long a file's bytes live. They are stored once per content (sha256) for every user, so a
blob may be named by many rows (knowledge documents, task files, the agent's files), and it is
removed once the last goes. One lock per digest makes that safe:

- Bytes are removed only by `release_blob`, inside a transaction that holds the digest's lock
  and, after taking it, sees no row naming the digest.
- An upload's bytes are put under their digest (`BlobStore.publish`) only inside the transaction
  that creates the rows naming them, under the same lock, after the rows and before the commit.
  Until then the upload reads only its own copy (the spooled file; on S3 its staging object),
  which no one else removes.

The lock is `pg_advisory_xact_lock` on the digest on PostgreSQL, taken before any read in the
transaction, and on SQLite the database's write lock, which every transaction here takes when it
begins (BEGIN IMMEDIATE, models/sqlite_engine.py), across processes too. U is an upload (or the
agent writing a file) of digest d, R a release of d after a row naming d was deleted:

1. R runs while U is receiving, extracting or staging (the race on main, where U's bytes were
   in place long before its row): R may remove d; U then publishes its own copy under the lock,
   so d is there when U's row commits.
2. U commits first: R takes the lock after U's commit, and its next statement (READ COMMITTED;
   SQLite's snapshot starts under the write lock) sees U's row, so d stays.
3. They overlap: the second to ask for the lock waits for the first to commit or roll back,
   which is case 1 or 2.
4. U fails after publishing (its commit fails, the server dies): d stays with no row, leaked,
   never lost; the next release of d removes it.
5. R cannot reach the store: it logs and commits; the bytes stay (leaked). The row was deleted
   in an earlier transaction of its own, so the deletion the user asked for succeeds.
6. R removes d and then fails to commit: R changed no row, so nothing names what it removed.
7. Two uploads of d: one after the other; the second replaces the file with the same bytes
   (data folder) or finds the object there (S3), under the lock.
8. The agent rewrites its file from d to e: the row's change commits as an upload of e (1-3),
   and d is released afterwards as in R; it stays if another row still names it.
9. Readers (ingestion, downloads) reach d only through a committed row, which U committed after
   d was in place; d goes only when no row names it, so a reader can only lose bytes whose row
   is gone (its document was deleted meanwhile).

Storing per owner would not be enough: a user's task file and knowledge document, or the agent's
file and an upload, share bytes within one owner, and they race the same way. Reference counts
would need a new table and the same ordering of bytes and rows; the lock needs neither.

The cost: on SQLite, publishing and removing run while the database's write lock is held. For
the data folder that is one rename or unlink; for S3 a HEAD and a server-side copy or a DELETE,
by a client that does not retry (the upload itself is sent before, to the staging key).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from infra.blobs.storage import BlobStore, Incoming, check_digest
from infra.dialects import is_postgres
from infra.errors import Unavailable
from models import KnowledgeDocument, TaskDocument

logger = logging.getLogger("taskloom.files")

# The first key of the two-key advisory locks, so that they meet no other lock of the database.
_BLOB_LOCKS = int.from_bytes(b"blob", "big", signed=True)


async def lock_blob(connection: BaseDBAsyncClient, sha256: str) -> None:
    """Holds the digest's lock until the transaction on `connection` ends."""
    if not is_postgres(connection):
        return  # SQLite: the transaction began IMMEDIATE, with the database's write lock
    key = int.from_bytes(bytes.fromhex(check_digest(sha256)[:8]), "big", signed=True)
    await connection.execute_query("SELECT pg_advisory_xact_lock($1, $2)", [_BLOB_LOCKS, key])


@asynccontextmanager
async def naming_blob(blobs: BlobStore, incoming: Incoming) -> AsyncIterator[BaseDBAsyncClient]:
    """A transaction for the rows that name the received bytes; they are published at the end of
    the block, under the digest's lock, before the commit. An error in the block publishes
    nothing and rolls the rows back."""
    async with in_transaction() as connection:
        await lock_blob(connection, incoming.blob.sha256)
        yield connection
        await blobs.publish(incoming)


async def release_blob(blobs: BlobStore, sha256: str) -> None:
    """Removes the bytes if no row names them any more. Call it after the transaction that
    deleted (or changed) the row has committed. A store that is down keeps the bytes (logged):
    the deletion the user asked for has succeeded already."""
    async with in_transaction() as connection:
        await lock_blob(connection, sha256)
        if await KnowledgeDocument.filter(sha256=sha256).using_db(connection).exists():
            return
        if await TaskDocument.filter(sha256=sha256).using_db(connection).exists():
            return
        try:
            await blobs.delete(sha256)
        except Unavailable:
            logger.warning("file %s is no longer used but stays in the store (unreachable)", sha256)
