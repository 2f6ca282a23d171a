"""`taskloom serve` with its files in an S3-compatible bucket (a local fake S3 server): uploads
land in the bucket, not the data folder; ingestion reads them from there; downloads stream them
back; deleting a document removes its bytes; a bucket that is down answers 503 and keeps
nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from infra.blobs.blob_lifetime import release_blob
from infra.blobs.s3_storage import S3BlobStore
from infra.settings.values import FileStorage
from tests.fakes.s3_server import FakeS3
from tests.support.api import graphql, register
from tests.support.processes import (
    free_port,
    run_taskloom,
    start_taskloom,
    taskloom_env,
    until_serving,
)
from tests.support.subscriptions import until_ingested

FACT = b"The lighthouse on Skerry Nine is kept by Mira Holt, who winds its clock at dusk."


@asynccontextmanager
async def _served(env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    port = free_port()
    process = await start_taskloom(env, "serve", "--port", str(port), "--log-level", "warning")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await until_serving(client)
            yield client
    finally:
        process.terminate()
        await process.wait()


async def _upload(client: httpx.AsyncClient, user: dict, filename: str) -> httpx.Response:
    return await client.post(
        "/api/documents", params={"title": "Lighthouse", "description": "keepers"},
        files={"file": (filename, FACT, "text/plain")}, headers=user["headers"],
    )  # fmt: skip


@pytest.fixture
async def bucket_env(fresh_database_url, tmp_path: Path):
    with FakeS3() as s3:
        env = taskloom_env(
            tmp_path / "data", fresh_database_url,
            TASKLOOM_EMBEDDER="wordllama",
            TASKLOOM_S3_BUCKET=s3.bucket,
            TASKLOOM_S3_ENDPOINT_URL=s3.endpoint_url,
        )  # fmt: skip
        assert (await run_taskloom(env, "migrate")).returncode == 0
        yield s3, env, tmp_path / "data"


async def test_files_live_in_the_bucket_from_upload_to_deletion(bucket_env):
    s3, env, data_dir = bucket_env
    async with _served(env) as client:
        user = await register(client)
        uploaded = await _upload(client, user, "keepers.txt")
        assert uploaded.status_code == 201, uploaded.text
        ws = str(client.base_url).replace("http", "ws", 1).rstrip("/")
        final = await asyncio.wait_for(until_ingested(ws, user["token"], uploaded.json()["id"]), 60)
        assert final["status"] == "READY"
        assert len(s3.object_keys()) == 1
        assert not (data_dir / "blobs").exists()  # nothing in the data folder
        found = await graphql(
            client, '{ search(query: "who winds the lighthouse clock") { chunk { content } } }',
            headers=user["headers"],
        )  # fmt: skip
        assert "Mira Holt" in found["data"]["search"][0]["chunk"]["content"]

        task = (
            await client.post("/api/tasks", json={"message": "Notes"}, headers=user["headers"])
        ).json()
        attached = await client.post(
            f"/api/tasks/{task['id']}/documents",
            files={"file": ("Skerry log ä.txt", b"Clock wound at 17:02.", "text/plain")},
            headers=user["headers"],
        )
        assert attached.status_code == 201, attached.text
        link = await graphql(
            client, "query($id: ID!) { task(id: $id) { documents { downloadUrl } } }",
            {"id": task["id"]}, headers=user["headers"],
        )  # fmt: skip
        download = await client.get(link["data"]["task"]["documents"][0]["downloadUrl"])
        assert download.status_code == 200
        assert download.content == b"Clock wound at 17:02."
        assert download.headers["content-type"].startswith("text/plain")
        assert download.headers["content-length"] == str(len(download.content))
        assert (
            "filename*=utf-8''Skerry%20log%20%C3%A4.txt" in download.headers["content-disposition"]
        )
        assert len(s3.object_keys()) == 2

        deleted = await client.delete(
            f"/api/documents/{uploaded.json()['id']}", headers=user["headers"]
        )
        assert deleted.status_code in (200, 204), deleted.text
        assert len(s3.object_keys()) == 1  # the workspace file's bytes stay


async def test_a_bucket_that_is_down_answers_503_and_keeps_nothing(bucket_env):
    _, env, data_dir = bucket_env
    down = {**env, "TASKLOOM_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    async with _served(down) as client:
        user = await register(client)
        uploaded = await _upload(client, user, "lost.txt")
        assert uploaded.status_code == 503, uploaded.text
        assert uploaded.json()["error"] == "UNAVAILABLE"
        listed = await client.get("/api/documents", headers=user["headers"])
        assert listed.json() == []
        spool = data_dir / "spool"
        assert not spool.exists() or list(spool.iterdir()) == []


async def test_a_deleted_documents_bytes_wait_in_a_bucket_that_is_down(client, caplog, tmp_path):
    """The document is gone already: the delete succeeds, and the leftover bytes are logged."""
    down = FileStorage(bucket="taskloom-down", endpoint_url=f"http://127.0.0.1:{free_port()}")
    with caplog.at_level(logging.WARNING, logger="taskloom.files"):
        await release_blob(S3BlobStore(down, tmp_path), "ab" * 32)
    assert "stays in the store" in caplog.text
