"""Files in the data folder, content-addressed: `blobs/ab/cd/<sha256>`. A file is written to a
temporary name, hashed as it streams, then renamed into place, so a crash never leaves a half
file under a real name and two uploads of the same bytes share one copy."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio

from resolvers.errors import PayloadTooLarge, ValidationFailed

READ_SIZE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoredBlob:
    sha256: str
    size: int
    head: bytes  # the first bytes, for sniffing the type


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._incoming = root / "incoming"
        self._incoming.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256 digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def save(
        self, chunks: AsyncIterator[bytes], *, max_bytes: int, field: str = "file"
    ) -> StoredBlob:
        """Stream `chunks` to disk. PAYLOAD_TOO_LARGE past `max_bytes` (nothing is kept),
        VALIDATION_FAILED when there are no bytes at all."""
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, temporary = tempfile.mkstemp(dir=self._incoming)
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise PayloadTooLarge(f"The file is larger than {max_bytes} bytes")
                    if len(head) < 8192:
                        head += chunk[: 8192 - len(head)]
                    digest.update(chunk)
                    await anyio.to_thread.run_sync(out.write, chunk)
            if size == 0:
                raise ValidationFailed({field: "is empty"})
            sha256 = digest.hexdigest()
            target = self.path(sha256)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        return StoredBlob(sha256=sha256, size=size, head=head)

    async def save_bytes(self, data: bytes) -> StoredBlob:
        async def one() -> AsyncIterator[bytes]:
            yield data

        return await self.save(one(), max_bytes=max(len(data), 1))

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)


async def read_chunks(file: object, size: int = READ_SIZE) -> AsyncIterator[bytes]:
    """The chunks of an uploaded file (Starlette's UploadFile), without reading it whole."""
    read = getattr(file, "read")  # noqa: B009 - UploadFile and Strawberry's Upload share `read`
    while chunk := await read(size):
        yield chunk
