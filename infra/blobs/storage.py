"""Where uploaded and written files keep their bytes, content-addressed by sha256, so that two
uploads of the same bytes share one copy.

Two stores answer the same interface: the data folder (`blobs/ab/cd/<sha256>`, the embedded
default) and an S3-compatible bucket (infra/blobs/s3_storage.py, for replicas on several
machines). Writing takes two steps: `receive` spools the bytes to a temporary file on this
machine, hashed and size-checked as they stream (extraction reads that copy); `publish` puts
them under their digest. The service publishes only inside the transaction that creates the
rows naming the digest, under its lock (infra/blobs/blob_lifetime.py, which says why): bytes are
shared, so another user's deletion may remove them at any moment no committed row names them.
A crash or a refused upload never leaves half a file behind a digest.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import anyio

from infra.errors import NotFound, PayloadTooLarge, Unavailable, ValidationFailed

logger = logging.getLogger("taskloom.files")
READ_SIZE = 1024 * 1024
HEAD_SIZE = 8192


class BlobMissing(NotFound):
    """The bytes are gone from the store although a document still names them."""


@dataclass(frozen=True, slots=True)
class StoredBlob:
    sha256: str
    size: int
    head: bytes  # the first bytes, for sniffing the type


@dataclass(frozen=True, slots=True)
class Incoming:
    """Received bytes, not yet published: `path` is this request's own copy on this machine,
    which no one else removes. `staged` is the store's own (S3: a staging object's key)."""

    path: Path
    blob: StoredBlob
    staged: str | None = None


@dataclass(frozen=True, slots=True)
class BlobContent:
    """The bytes of a blob, to send: a file on this machine when there is one (sent as it is),
    else chunks streamed from the store."""

    size: int
    path: Path | None
    chunks: AsyncIterator[bytes] | None


class BlobStore(Protocol):
    def receive(
        self, chunks: AsyncIterator[bytes], *, max_bytes: int, field: str = "file"
    ) -> AbstractAsyncContextManager[Incoming]:
        """The bytes of `chunks`, kept for the duration of the block and published by nothing
        but `publish`. PAYLOAD_TOO_LARGE past `max_bytes`, VALIDATION_FAILED when there are no
        bytes at all, UNAVAILABLE when the store is down; nothing is kept after the block."""
        ...

    async def publish(self, incoming: Incoming) -> None:
        """Puts the bytes under their digest, once per `receive` (they may be there already).
        Call it under the blob's lock, in the transaction that creates the rows naming it
        (infra/blobs/blob_lifetime.py)."""
        ...

    async def delete(self, sha256: str) -> None:
        """Removes the bytes (no error if absent); UNAVAILABLE when the store refuses."""
        ...

    def local_file(self, sha256: str) -> AbstractAsyncContextManager[Path]:
        """A path to the bytes on this machine for the duration of the block (extraction reads
        files); BlobMissing if the store has no such blob."""
        ...

    async def content(self, sha256: str) -> BlobContent:
        """The bytes to send; BlobMissing if the store has no such blob."""
        ...

    async def check(self) -> None:
        """UNAVAILABLE unless the store can be reached."""
        ...


def check_digest(sha256: str) -> str:
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 digest")
    return sha256


@asynccontextmanager
async def spooled(
    chunks: AsyncIterator[bytes], directory: Path, *, max_bytes: int, field: str
) -> AsyncIterator[tuple[Path, StoredBlob]]:
    """Streams `chunks` into a temporary file in `directory`, hashing and counting as it goes;
    yields the file and what it holds. The file is removed when the block ends, unless the
    block moved it away."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, name = tempfile.mkstemp(dir=directory)
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(f"The file is larger than {max_bytes} bytes")
                if len(head) < HEAD_SIZE:
                    head += chunk[: HEAD_SIZE - len(head)]
                digest.update(chunk)
                await anyio.to_thread.run_sync(out.write, chunk)
        if size == 0:
            raise ValidationFailed({field: "is empty"})
        yield temporary, StoredBlob(sha256=digest.hexdigest(), size=size, head=head)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


class LocalBlobStore:
    """Blobs in the data folder; a received file waits in `incoming/`, on the same file system,
    so that publishing it is one rename."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._incoming = root / "incoming"
        self._incoming.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        check_digest(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    @asynccontextmanager
    async def receive(
        self, chunks: AsyncIterator[bytes], *, max_bytes: int, field: str = "file"
    ) -> AsyncIterator[Incoming]:
        async with spooled(chunks, self._incoming, max_bytes=max_bytes, field=field) as (
            temporary,
            stored,
        ):
            yield Incoming(temporary, stored)

    async def publish(self, incoming: Incoming) -> None:
        target = self.path(incoming.blob.sha256)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Always replaced, even when there: the same bytes, and a damaged copy is healed.
            os.replace(incoming.path, target)
        except OSError as error:
            logger.warning("cannot publish file %s: %s", incoming.blob.sha256, error)
            raise Unavailable("File storage is unavailable; try again later") from None

    async def delete(self, sha256: str) -> None:
        try:
            self.path(sha256).unlink(missing_ok=True)
        except OSError as error:  # a read-only or failing disk: the bytes stay
            logger.warning("cannot remove file %s: %s", sha256, error)
            raise Unavailable("File storage is unavailable; try again later") from None

    @asynccontextmanager
    async def local_file(self, sha256: str) -> AsyncIterator[Path]:
        yield self._existing(sha256)

    async def content(self, sha256: str) -> BlobContent:
        path = self._existing(sha256)
        return BlobContent(size=path.stat().st_size, path=path, chunks=None)

    async def check(self) -> None:
        """The data folder is there: nothing can be down."""

    def _existing(self, sha256: str) -> Path:
        path = self.path(sha256)
        if not path.is_file():  # removed from the data folder behind the service's back
            raise BlobMissing("This file's bytes are missing from the data folder")
        return path


async def read_chunks(file: object, size: int = READ_SIZE) -> AsyncIterator[bytes]:
    """The chunks of an uploaded file (Starlette's UploadFile), without reading it whole."""
    read = getattr(file, "read")  # noqa: B009 - UploadFile and Strawberry's Upload share `read`
    while chunk := await read(size):
        yield chunk
