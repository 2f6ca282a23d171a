"""Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2…): the file store for replicas on
several machines, which share no data folder.

Keys are `<prefix>ab/cd/<sha256>`. An upload is spooled and checked on this machine first
(resolvers/storage.py), then put once: bytes the bucket already holds are not sent again.
boto3 is synchronous, so every call runs on a worker thread. A bucket that cannot be reached
answers UNAVAILABLE, and nothing is half-kept: a document is recorded only after its bytes are.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from resolvers.config import FileStorage
from resolvers.errors import Unavailable
from resolvers.storage import (
    READ_SIZE,
    BlobContent,
    BlobMissing,
    StoredBlob,
    check_digest,
    one_chunk,
    spooled,
)

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

T = TypeVar("T")
NOT_THERE = {"404", "NoSuchKey", "NotFound"}
logger = logging.getLogger("taskloom.files")


def s3_client(settings: FileStorage) -> S3Client:
    config = Config(
        connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"}
    )
    return boto3.client(
        "s3", endpoint_url=settings.endpoint_url, region_name=settings.region, config=config
    )


class S3BlobStore:
    def __init__(self, settings: FileStorage, spool: Path, client: S3Client | None = None) -> None:
        if not settings.bucket:
            raise ValueError("an S3 file store needs a bucket")
        self.bucket = settings.bucket
        self.prefix = settings.prefix
        self._spool = spool
        self._spool.mkdir(parents=True, exist_ok=True)
        self._client = client or s3_client(settings)

    def key(self, sha256: str) -> str:
        check_digest(sha256)
        return f"{self.prefix}{sha256[:2]}/{sha256[2:4]}/{sha256}"

    async def save(
        self, chunks: AsyncIterator[bytes], *, max_bytes: int, field: str = "file"
    ) -> StoredBlob:
        async with spooled(chunks, self._spool, max_bytes=max_bytes, field=field) as (
            temporary,
            stored,
        ):
            key = self.key(stored.sha256)
            if not await self._exists(key):
                await self._call(self._client.upload_file, str(temporary), self.bucket, key)
        return stored

    async def save_bytes(self, data: bytes) -> StoredBlob:
        return await self.save(one_chunk(data), max_bytes=max(len(data), 1))

    async def delete(self, sha256: str) -> None:
        await self._call(self._client.delete_object, Bucket=self.bucket, Key=self.key(sha256))

    @asynccontextmanager
    async def local_file(self, sha256: str) -> AsyncIterator[Path]:
        fd, name = tempfile.mkstemp(dir=self._spool)
        os.close(fd)
        try:
            await self._call(self._client.download_file, self.bucket, self.key(sha256), name)
            yield Path(name)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)

    async def content(self, sha256: str) -> BlobContent:
        answer = await self._call(self._client.get_object, Bucket=self.bucket, Key=self.key(sha256))
        return BlobContent(
            size=int(answer["ContentLength"]), path=None, chunks=_streamed(answer["Body"])
        )

    async def check(self) -> None:
        """UNAVAILABLE unless the bucket can be reached with these credentials."""
        await self._call(self._client.head_bucket, Bucket=self.bucket)

    async def _exists(self, key: str) -> bool:
        try:
            await self._call(self._client.head_object, Bucket=self.bucket, Key=key)
        except BlobMissing:
            return False
        return True

    async def _call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await anyio.to_thread.run_sync(functools.partial(function, *args, **kwargs))
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code")) in NOT_THERE:
                raise BlobMissing("This file's bytes are missing from the bucket") from None
            logger.warning("file storage refused a request: %s", error)
            raise Unavailable("File storage is unavailable; try again later") from None
        except (BotoCoreError, S3UploadFailedError) as error:  # unreachable, no credentials…
            logger.warning("file storage cannot be reached: %s", error)
            raise Unavailable("File storage is unavailable; try again later") from None


async def _streamed(body: Any) -> AsyncIterator[bytes]:
    try:
        while chunk := await anyio.to_thread.run_sync(body.read, READ_SIZE):
            yield chunk
    finally:
        body.close()
