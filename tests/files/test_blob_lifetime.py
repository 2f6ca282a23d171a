"""Files' bytes are shared by content across users: a deletion (a user's, or the agent rewriting
its file) never removes bytes that another row, committed or about to be, still needs.

The races are driven in a fixed order over real HTTP and the real database: the test waits until
an upload is in its slow part (extracting a PDF in a child process, its row not yet written),
then deletes another document with the same bytes, and checks that the upload's file is whole
(downloadable, and read by the agent: no `textError`, which used to quote the data path). The
agent's quick write is swept over every interleaving instead, and on PostgreSQL a test holds the
digest's lock itself to see both sides wait for it (infra/blobs/blob_lifetime.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from gateway.services import build_services
from infra.blobs.blob_lifetime import lock_blob
from infra.settings.values import FileStorage
from models import KnowledgeDocument, Task, TaskDocument, User
from resolvers.context import RequestContext
from resolvers.ids import pk_of
from resolvers.knowledge import delete_document
from resolvers.workspace import TaskWorkspace
from tests.conftest import BACKEND
from tests.fakes.s3_server import FakeS3
from tests.retrieval.documents import pdf_bytes
from tests.support.api import register
from tests.support.processes import free_port

PAGES = ["The lighthouse on Skerry Nine is kept by Mira Holt.", "She winds its clock at dusk."]


def _pdf(marker: str) -> bytes:
    """A valid PDF of plain ASCII (so the agent can write it as text), unique per marker."""
    data = pdf_bytes([*PAGES, marker])
    return data.replace(b"%\xe2\xe3\xcf\xd3\n", b"%abcd\n")  # same length: offsets still hold


def _blob(settings: Any, sha256: str) -> Path:
    return settings.data_dir / "blobs" / sha256[:2] / sha256[2:4] / sha256


def _extraction_children() -> list[int]:
    """This process's extraction children (PDF and DOCX are parsed in one)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"retrieval.extraction.child" in cmdline:
            found.append(int(name))
    return found


async def _until_extracting(upload: asyncio.Task[Any]) -> None:
    """Returns once `upload` is extracting its file in a child (or is over)."""
    for _ in range(3000):
        if upload.done() or _extraction_children():
            return
        await asyncio.sleep(0.002)
    raise AssertionError("the upload never began extracting")


async def _knowledge(client: httpx.AsyncClient, user: dict, data: bytes) -> str:
    """Uploads a knowledge document and waits for its ingestion to end (its child too)."""
    uploaded = await client.post(
        "/api/documents", params={"title": "Lighthouse", "description": "keepers"},
        files={"file": ("keepers.pdf", data, "application/pdf")}, headers=user["headers"],
    )  # fmt: skip
    assert uploaded.status_code == 201, uploaded.text
    document_id = str(uploaded.json()["id"])
    for _ in range(600):
        document = await client.get(f"/api/documents/{document_id}", headers=user["headers"])
        if document.json()["status"] in ("READY", "FAILED") and not _extraction_children():
            return document_id
        await asyncio.sleep(0.05)
    raise AssertionError("the document was never ingested")


async def _task(client: httpx.AsyncClient, user: dict) -> str:
    created = await client.post("/api/tasks", json={"message": "Notes"}, headers=user["headers"])
    assert created.status_code in (200, 201), created.text
    return str(created.json()["id"])


def _attach(
    client: httpx.AsyncClient, user: dict, task_id: str, data: bytes, name: str = "paper.pdf"
) -> asyncio.Task[Any]:
    return asyncio.create_task(
        client.post(
            f"/api/tasks/{task_id}/documents",
            files={"file": (name, data, "application/octet-stream")},
            headers=user["headers"],
        )
    )


async def _assert_whole(
    client: httpx.AsyncClient, user: dict, task_id: str, attached: httpx.Response, data: bytes
) -> None:
    assert attached.status_code == 201, attached.text
    file = attached.json()
    assert "textError" not in file["metadata"], file["metadata"]
    download = await client.get(
        f"/api/tasks/{task_id}/documents/{file['id']}", headers=user["headers"]
    )
    assert download.status_code == 200, download.text
    assert download.content == data


@pytest.mark.parametrize("uploader", ["another user", "the same user"])
async def test_deleting_a_document_keeps_the_bytes_of_an_upload_in_flight(client, uploader):
    owner = await register(client)
    other = owner if uploader == "the same user" else await register(client)
    data = _pdf(f"shared by {uploader}")
    document_id = await _knowledge(client, owner, data)
    task_id = await _task(client, other)
    upload = _attach(client, other, task_id, data)
    await _until_extracting(upload)
    deleted = await client.delete(f"/api/documents/{document_id}", headers=owner["headers"])
    assert deleted.status_code == 204, deleted.text
    await _assert_whole(client, other, task_id, await upload, data)


async def test_the_same_race_with_files_in_a_bucket(client, app_with):
    with FakeS3() as s3:
        bucket = FileStorage(bucket=s3.bucket, endpoint_url=s3.endpoint_url)
        async with await app_with(files=bucket) as served:
            owner, other = await register(served), await register(served)
            data = _pdf("in a bucket")
            document_id = await _knowledge(served, owner, data)
            task_id = await _task(served, other)
            upload = _attach(served, other, task_id, data)
            await _until_extracting(upload)
            deleted = await served.delete(f"/api/documents/{document_id}", headers=owner["headers"])
            assert deleted.status_code == 204, deleted.text
            await _assert_whole(served, other, task_id, await upload, data)
            assert len(s3.object_keys()) == 1  # the upload's, once; nothing staged is left


async def _until_waiting_for_blob_locks(count: int) -> None:
    """Returns once `count` sessions of this database wait for an advisory lock."""
    connection = connections.get("default")
    sql = (
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    for _ in range(3000):
        if (await connection.execute_query_dict(sql))[0]["n"] >= count:
            return
        await asyncio.sleep(0.002)
    raise AssertionError(f"{count} sessions never waited for the lock")


@pytest.mark.skipif(BACKEND != "postgres", reason="SQLite: one writer at a time, lock or none")
async def test_publishing_and_removing_the_same_bytes_take_turns_under_its_lock(client):
    """While the digest's lock is held, neither an upload of those bytes nor the release of a
    deleted document's same bytes gets past it; let go, both end with the file whole."""
    owner, other = await register(client), await register(client)
    data = b"Bytes that wait for their lock."
    uploaded = await client.post(
        "/api/documents", params={"title": "Locked", "description": ""},
        files={"file": ("locked.txt", data, "text/plain")}, headers=owner["headers"],
    )  # fmt: skip
    assert uploaded.status_code == 201, uploaded.text
    task_id = await _task(client, other)
    async with in_transaction() as connection:
        await lock_blob(connection, hashlib.sha256(data).hexdigest())
        upload = _attach(client, other, task_id, data, name="locked.txt")
        deletion = asyncio.create_task(
            client.delete(f"/api/documents/{uploaded.json()['id']}", headers=owner["headers"])
        )
        await _until_waiting_for_blob_locks(2)
        assert not upload.done() and not deletion.done()
    assert (await deletion).status_code == 204
    await _assert_whole(client, other, task_id, await upload, data)


async def _workspace(settings: Any, user: dict, task_id: str) -> TaskWorkspace:
    viewer = await User.get(username=user["user"]["username"])
    task = await Task.get(id=pk_of(task_id, "Task"))
    context = RequestContext.for_user(build_services(settings), viewer)
    return TaskWorkspace(context, viewer, task)


async def test_the_agent_rewriting_its_file_keeps_the_bytes_an_upload_needs(client, settings):
    """The agent's old bytes are the same as a PDF another user is uploading: releasing them
    when the agent rewrites its file must not take them from that upload."""
    agent_user, other = await register(client), await register(client)
    workspace = await _workspace(settings, agent_user, await _task(client, agent_user))
    data = _pdf("written by the agent")
    await workspace.write_document("notes.md", data.decode("ascii"))
    task_id = await _task(client, other)
    upload = _attach(client, other, task_id, data)
    await _until_extracting(upload)
    await workspace.write_document("notes.md", "A second version of the notes.")
    await _assert_whole(client, other, task_id, await upload, data)


async def test_a_file_the_agent_writes_keeps_its_bytes_through_a_deletion(client, settings):
    """The agent writes the bytes of a document its user deletes at the same moment; the
    interleavings of the two, swept by delaying one side or the other a little more each round."""
    user = await register(client)
    workspace = await _workspace(settings, user, await _task(client, user))
    viewer = await User.get(username=user["user"]["username"])
    context = RequestContext.for_user(workspace.context.services, viewer)
    missing = []
    for round_ in range(-30, 30):
        text = f"Round {round_}: the lighthouse clock is wound at dusk."
        uploaded = await client.post(
            "/api/documents", params={"title": f"Round {round_}", "description": ""},
            files={"file": ("round.txt", text.encode(), "text/plain")}, headers=user["headers"],
        )  # fmt: skip
        assert uploaded.status_code == 201, uploaded.text

        async def later(yields: int, step: Awaitable[Any]) -> Any:
            for _ in range(yields):
                await asyncio.sleep(0)
            return await step

        written, _ = await asyncio.gather(
            later(max(round_, 0), workspace.write_document(f"round-{round_}.md", text)),
            later(max(-round_, 0), delete_document(context, uploaded.json()["id"])),
        )
        row = await TaskDocument.get(id=pk_of(written.id, "TaskDocument"))
        if not _blob(settings, row.sha256).exists():
            missing.append(round_)
    assert missing == []


async def test_deleting_a_document_succeeds_when_the_data_folder_refuses_the_removal(
    client, settings, caplog
):
    user = await register(client)
    uploaded = await client.post(
        "/api/documents", params={"title": "Refused", "description": ""},
        files={"file": ("refused.txt", b"Bytes the disk will not let go.", "text/plain")},
        headers=user["headers"],
    )  # fmt: skip
    sha256 = (await KnowledgeDocument.get(id=pk_of(uploaded.json()["id"], "Document"))).sha256
    blob = _blob(settings, sha256)
    blob.unlink()
    (blob / "held").mkdir(parents=True)  # removing a non-empty directory fails, even for root
    with caplog.at_level(logging.WARNING, logger="taskloom.files"):
        deleted = await client.delete(
            f"/api/documents/{uploaded.json()['id']}", headers=user["headers"]
        )
    assert deleted.status_code == 204, deleted.text
    assert not await KnowledgeDocument.exists(sha256=sha256)
    assert "stays in the store" in caplog.text


async def test_deleting_a_document_succeeds_while_the_bucket_is_down(client, app_with, caplog):
    with FakeS3() as s3:
        bucket = FileStorage(bucket=s3.bucket, endpoint_url=s3.endpoint_url)
        async with await app_with(files=bucket) as served:
            user = await register(served)
            uploaded = await served.post(
                "/api/documents", params={"title": "Kept", "description": ""},
                files={"file": ("kept.txt", b"Bytes in a bucket.", "text/plain")},
                headers=user["headers"],
            )  # fmt: skip
            assert uploaded.status_code == 201, uploaded.text
    down = FileStorage(bucket="taskloom-down", endpoint_url=f"http://127.0.0.1:{free_port()}")
    async with await app_with(files=down) as served:
        with caplog.at_level(logging.WARNING, logger="taskloom.files"):
            deleted = await served.delete(
                f"/api/documents/{uploaded.json()['id']}", headers=user["headers"]
            )
        assert deleted.status_code == 204, deleted.text
        listed = await served.get("/api/documents", headers=user["headers"])
        assert listed.json() == []
    assert "stays in the store" in caplog.text
