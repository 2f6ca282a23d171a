"""Putting bytes in a blob store the way the service does (receive, then publish), but outside
any lock: only for stores no deletion can race with (a test's own, or one seeded before use)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from infra.blobs.storage import BlobStore, StoredBlob, one_chunk


async def save(store: BlobStore, chunks: AsyncIterator[bytes], *, max_bytes: int) -> StoredBlob:
    async with store.receive(chunks, max_bytes=max_bytes, field="file") as incoming:
        await store.publish(incoming)
    return incoming.blob


async def save_bytes(store: BlobStore, data: bytes) -> StoredBlob:
    return await save(store, one_chunk(data), max_bytes=max(len(data), 1))
