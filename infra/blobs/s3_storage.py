"""Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2…): the file store for replicas on
several machines, which share no data folder.

Keys are `<prefix>ab/cd/<sha256>`. An upload is spooled and checked on this machine first
(infra/blobs/storage.py), then sent once, to a staging key of its own (`<prefix>incoming/<random>`)
unless the bucket holds those bytes already. Publishing, which happens under the blob's lock in
the transaction that records the rows (infra/blobs/blob_lifetime.py), is then quick: a HEAD and a
server-side copy, made by a client that does not retry, so that a bucket that is down holds the
lock seconds, not minutes. The staging object is removed when the upload ends; one left by a
crash is garbage under `incoming/` (a lifecycle rule on that prefix can expire it).

boto3 is synchronous, so every call runs on a worker thread. A bucket that cannot be reached
answers UNAVAILABLE, and nothing is half-kept: a document is recorded only with its bytes.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from infra.blobs.storage import (
    READ_SIZE,
    BlobContent,
    BlobMissing,
    Incoming,
    check_digest,
    spooled,
)
from infra.errors import Unavailable
from infra.settings.values import FileStorage

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

T = TypeVar("T")
NOT_THERE = {"404", "NoSuchKey", "NotFound"}
# Copies of up to 5 GiB are one CopyObject request; larger ones go in parts.
ONE_REQUEST_COPY = TransferConfig(multipart_threshold=5 * 1024**3)
logger = logging.getLogger("taskloom.files")


def s3_client(settings: FileStorage, *, under_lock: bool = False) -> S3Client:
    """`under_lock`: for the calls made while a blob's lock is held, which fail fast instead."""
    attempts, connect = (1, 3) if under_lock else (3, 5)
    config = Config(
        connect_timeout=connect,
        read_timeout=30,
        retries={"max_attempts": attempts, "mode": "standard"},
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
        self._locked = client or s3_client(settings, under_lock=True)

    def key(self, sha256: str) -> str:
        check_digest(sha256)
        return f"{self.prefix}{sha256[:2]}/{sha256[2:4]}/{sha256}"

    @asynccontextmanager
    async def receive(
        self, chunks: AsyncIterator[bytes], *, max_bytes: int, field: str = "file"
    ) -> AsyncIterator[Incoming]:
        async with spooled(chunks, self._spool, max_bytes=max_bytes, field=field) as (
            temporary,
            stored,
        ):
            staged = None
            if not await self._exists(self._client, self.key(stored.sha256)):
                staged = f"{self.prefix}incoming/{uuid.uuid4().hex}"
                await self._call(self._client.upload_file, str(temporary), self.bucket, staged)
            try:
                yield Incoming(temporary, stored, staged)
            finally:
                if staged is not None:
                    await self._remove_staged(staged)

    async def publish(self, incoming: Incoming) -> None:
        key = self.key(incoming.blob.sha256)
        if await self._exists(self._locked, key):
            return  # under the lock, and then named by a committed row: it stays
        if incoming.staged is None:  # it was there when received, and removed since
            await self._call(self._locked.upload_file, str(incoming.path), self.bucket, key)
            return
        source = {"Bucket": self.bucket, "Key": incoming.staged}
        await self._call(self._locked.copy, source, self.bucket, key, Config=ONE_REQUEST_COPY)

    async def delete(self, sha256: str) -> None:
        await self._call(self._locked.delete_object, Bucket=self.bucket, Key=self.key(sha256))

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

    async def _exists(self, client: S3Client, key: str) -> bool:
        try:
            await self._call(client.head_object, Bucket=self.bucket, Key=key)
        except BlobMissing:
            return False
        return True

    async def _remove_staged(self, key: str) -> None:
        try:
            await self._call(self._client.delete_object, Bucket=self.bucket, Key=key)
        except Unavailable:
            logger.warning("staged upload %s stays in the bucket (unreachable)", key)

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
