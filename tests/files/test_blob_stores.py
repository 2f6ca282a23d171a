"""The two file stores, the data folder and an S3-compatible bucket (a local fake S3 server,
through the real boto3 client), keep the same promises."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from infra.blobs.s3_storage import S3BlobStore
from infra.blobs.storage import BlobMissing, BlobStore, LocalBlobStore
from infra.errors import PayloadTooLarge, Unavailable, ValidationFailed
from infra.settings.values import FileStorage
from tests.fakes.s3_server import FakeS3
from tests.support.blobs import save, save_bytes
from tests.support.processes import free_port  # nothing listens there


@pytest.fixture(scope="module")
def fake_s3() -> Iterator[FakeS3]:
    with FakeS3() as s3:
        yield s3


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    s3: FakeS3 = request.getfixturevalue("fake_s3")
    prefix = f"{request.node.name}/".replace("[", "-").replace("]", "")
    settings = FileStorage(bucket=s3.bucket, endpoint_url=s3.endpoint_url, prefix=prefix)
    return S3BlobStore(settings, tmp_path / "spool")


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def _read(store: BlobStore, sha256: str) -> bytes:
    content = await store.content(sha256)
    if content.path is not None:
        return content.path.read_bytes()
    assert content.chunks is not None
    return b"".join([chunk async for chunk in content.chunks])


async def test_bytes_are_kept_under_their_digest_and_read_back(store):
    data = b"first part, " * 100_000 + b"last part"
    stored = await save(store, _chunks(data[:700_000], data[700_000:]), max_bytes=len(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data) and stored.head == data[:8192]
    assert await _read(store, stored.sha256) == data
    assert (await store.content(stored.sha256)).size == len(data)
    async with store.local_file(stored.sha256) as path:
        assert path.read_bytes() == data


async def test_the_same_bytes_twice_are_one_blob(store):
    first = await save_bytes(store, b"same bytes")
    second = await save_bytes(store, b"same bytes")
    assert first == second
    await store.delete(first.sha256)
    with pytest.raises(BlobMissing):
        await store.content(first.sha256)


async def _keys(store: BlobStore, tmp_path: Path) -> list[str]:
    """What the store holds under digests or staged, wherever it keeps it."""
    if isinstance(store, LocalBlobStore):
        return sorted(str(p.relative_to(store.root)) for p in store.root.rglob("*") if p.is_file())
    assert isinstance(store, S3BlobStore)
    listed = await asyncio.to_thread(
        store._client.list_objects_v2, Bucket=store.bucket, Prefix=store.prefix
    )
    return sorted(item["Key"] for item in listed.get("Contents", []))


async def test_received_bytes_are_under_their_digest_only_once_published(store, tmp_path):
    async with store.receive(_chunks(b"not yet ", b"published"), max_bytes=100) as incoming:
        assert incoming.path.read_bytes() == b"not yet published"  # this request's own copy
        with pytest.raises(BlobMissing):
            await store.content(incoming.blob.sha256)
        await store.publish(incoming)
        assert await _read(store, incoming.blob.sha256) == b"not yet published"
    (key,) = await _keys(store, tmp_path)  # nothing spooled or staged is left
    assert key.endswith(incoming.blob.sha256)


async def test_publishing_puts_back_bytes_deleted_since_they_were_received(store):
    first = await save_bytes(store, b"shared bytes")
    async with store.receive(_chunks(b"shared bytes"), max_bytes=100) as incoming:
        # In the bucket already: nothing was staged, so publishing sends the spooled copy.
        await store.delete(first.sha256)  # another user's document went meanwhile
        await store.publish(incoming)
    assert await _read(store, first.sha256) == b"shared bytes"


async def test_nothing_received_is_kept_when_the_block_fails(store, tmp_path):
    with pytest.raises(RuntimeError):
        async with store.receive(_chunks(b"refused"), max_bytes=100):
            raise RuntimeError("refused after receiving")
    assert await _keys(store, tmp_path) == []
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


async def test_too_large_or_empty_keeps_nothing(store, tmp_path):
    with pytest.raises(PayloadTooLarge):
        await save(store, _chunks(b"x" * 10, b"y" * 10), max_bytes=15)
    with pytest.raises(ValidationFailed):
        await save(store, _chunks(), max_bytes=15)
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert leftovers == []


async def test_a_missing_blob_is_blob_missing_everywhere(store):
    absent = "0" * 64
    with pytest.raises(BlobMissing):
        await store.content(absent)
    with pytest.raises(BlobMissing):
        async with store.local_file(absent):
            pass
    await store.delete(absent)  # deleting what is not there is no error


async def test_a_name_that_is_not_a_digest_is_refused(store):
    with pytest.raises(ValueError, match="sha256"):
        await store.content("../../etc/passwd")


async def test_in_the_bucket_keys_are_prefixed_digests(fake_s3, tmp_path):
    settings = FileStorage(bucket=fake_s3.bucket, endpoint_url=fake_s3.endpoint_url, prefix="p/")
    stored = await save_bytes(S3BlobStore(settings, tmp_path), b"where am I")
    digest = stored.sha256
    assert f"p/{digest[:2]}/{digest[2:4]}/{digest}" in fake_s3.object_keys()


async def test_an_unreachable_bucket_is_unavailable_and_nothing_is_left_behind(tmp_path):
    down = FileStorage(bucket="taskloom-down", endpoint_url=f"http://127.0.0.1:{free_port()}")
    store = S3BlobStore(down, tmp_path / "spool")
    with pytest.raises(Unavailable):
        await store.check()
    with pytest.raises(Unavailable):
        await save_bytes(store, b"nowhere to go")
    with pytest.raises(Unavailable):
        await store.content("0" * 64)
    assert list((tmp_path / "spool").iterdir()) == []


async def test_a_bucket_that_does_not_exist_is_unavailable(fake_s3, tmp_path):
    wrong = FileStorage(bucket="taskloom-no-such-bucket", endpoint_url=fake_s3.endpoint_url)
    with pytest.raises(Unavailable):
        await save_bytes(S3BlobStore(wrong, tmp_path), b"lost?")
