"""Edge cases of the knowledge base, tasks and workspace that a review found answered wrongly:
subscriptions serving what they cached, a revoked token still subscribed, a numbered file name
past 255 bytes, the agent overwriting a user's upload, text sniffed as something else."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from tests.knowledge.test_documents import FACT, ingested, upload
from tests.support.api import PASSWORD, graphql, register
from tests.support.blobs import save_bytes
from tests.support.subscriptions import SubscriptionError, subscription, until_ingested
from tests.tasks.test_tasks_rest import new_task
from tests.tasks.test_workspace import put

TASK_STEPS = """
subscription($id: ID!) { taskSteps(taskId: $id) { index task { stepCount completed } } }
"""


async def test_task_steps_subscription_shows_the_task_as_it_is_now_not_as_first_loaded(
    client, server
):
    """Each event reads afresh: the second step's `task` says two steps, not what the first
    event's loaders cached."""
    user = await register(client)
    task = await new_task(client, user, "What colour is the quasar beacon?")
    step = f"/api/tasks/{task['id']}"
    assert (await client.post(step, headers=user["headers"])).status_code == 200
    async with subscription(server.ws_url, user["token"], TASK_STEPS, {"id": task["id"]}) as steps:
        first = (await asyncio.wait_for(anext(steps), 10))["data"]["taskSteps"]
        assert (await client.post(step, headers=user["headers"])).status_code == 200
        second = (await asyncio.wait_for(anext(steps), 10))["data"]["taskSteps"]
    assert (first["index"], first["task"]["stepCount"]) == (0, 1)
    assert (second["index"], second["task"]["stepCount"]) == (1, 2)


async def test_a_subscription_ends_when_its_token_is_revoked(client, server):
    """A password change revokes every earlier token, live subscriptions included: the next
    event is an UNAUTHENTICATED error, not the step."""
    user = await register(client)
    task = await new_task(client, user)
    step = f"/api/tasks/{task['id']}"
    assert (await client.post(step, headers=user["headers"])).status_code == 200
    async with subscription(server.ws_url, user["token"], TASK_STEPS, {"id": task["id"]}) as steps:
        await asyncio.wait_for(anext(steps), 10)
        changed = await graphql(
            client,
            "mutation($c: String!, $n: String!) { changePassword(input: "
            "{currentPassword: $c, newPassword: $n}) { token } }",
            {"c": PASSWORD, "n": "a brand new passphrase"},
            headers=user["headers"],
        )
        token = changed["data"]["changePassword"]["token"]
        stepped = await client.post(step, headers={"Authorization": f"Bearer {token}"})
        assert stepped.status_code == 200
        with pytest.raises(SubscriptionError) as ended:
            await asyncio.wait_for(anext(steps), 10)
    assert "UNAUTHENTICATED" in str(ended.value)


PROGRESS_WITH_CHUNKS = """
subscription($id: ID!) {
  documentProgress(id: $id) { status chunkCount chunks { totalCount edges { node { id } } } }
}
"""


async def _document_without_a_job(settings, username: str, content: bytes) -> tuple[int, str]:
    """A QUEUED document whose ingestion job is not there yet: it stays QUEUED until the test
    adds the job."""
    from infra.blobs.storage import LocalBlobStore
    from models import KnowledgeDocument, User
    from resolvers.ids import encode_id

    stored = await save_bytes(LocalBlobStore(settings.data_dir / "blobs"), content)
    owner = await User.get(username=username)
    document = await KnowledgeDocument.create(
        owner=owner, filename="notes.txt", title="Notes", description="", size=stored.size,
        content_type="text/plain", sha256=stored.sha256,
    )  # fmt: skip
    return document.id, encode_id("Document", document.id)


async def test_document_progress_subscription_shows_the_chunks_once_ready(client, server, settings):
    """The READY update lists the document's chunks, not the empty page its QUEUED update
    loaded."""
    from models import IngestionJob

    user = await register(client)
    pk, document_id = await _document_without_a_job(
        settings, user["user"]["username"], FACT.encode()
    )
    updates = []
    async with subscription(
        server.ws_url, user["token"], PROGRESS_WITH_CHUNKS, {"id": document_id}
    ) as stream:
        updates.append((await asyncio.wait_for(anext(stream), 10))["data"]["documentProgress"])
        await IngestionJob.create(document_id=pk, run_after=datetime.now(UTC))

        async def follow() -> None:
            async for payload in stream:
                updates.append(payload["data"]["documentProgress"])

        await asyncio.wait_for(follow(), 30)
    assert updates[0]["status"] == "QUEUED"
    final = updates[-1]
    assert final["status"] == "READY" and final["chunkCount"] == 1
    assert len(final["chunks"]["edges"]) == 1


async def test_a_second_upload_of_a_longest_name_keeps_the_255_byte_limit(client):
    """A name of 255 bytes, taken, becomes a numbered name that still fits in 255 bytes."""
    user = await register(client)
    task = await new_task(client, user)
    name = "a" * 251 + ".txt"
    first = await put(client, user, task["id"], b"first", name)
    assert first.status_code == 201 and first.json()["filename"] == name
    second = await put(client, user, task["id"], b"second", name)
    assert second.status_code == 201, second.text
    kept = second.json()["filename"]
    assert kept != name
    assert len(kept.encode()) <= 255, len(kept.encode())


async def _step_until_final(client, user, task_id, limit=6):
    steps = []
    for _ in range(limit):
        response = await client.post(f"/api/tasks/{task_id}", headers=user["headers"])
        assert response.status_code == 200, response.text
        steps.append(response.json())
        if steps[-1]["action"]["final"]:
            break
    return steps


async def test_the_agent_writing_a_file_does_not_destroy_the_users_upload_of_that_name(
    client, server
):
    """The agent rewrites its own files only: its `answer.md` beside the user's upload of that
    name gets a free name, and the user's bytes stay."""
    user = await register(client)
    await ingested(client, server, user, FACT.encode(), title="Reactor notes")
    task = await new_task(client, user)
    mine = b"My own hand-written draft answer, do not lose it."
    uploaded = await put(client, user, task["id"], mine, "answer.md", "text/markdown")
    assert uploaded.status_code == 201
    document = uploaded.json()
    steps = await _step_until_final(client, user, task["id"])
    assert any(s["action"]["name"] == "write_document" for s in steps)
    fetched = await client.get(
        f"/api/tasks/{task['id']}/documents/{document['id']}", headers=user["headers"]
    )
    assert fetched.status_code == 200
    assert fetched.content == mine


@pytest.mark.parametrize(
    "content",
    [
        # A note that mentions the PDF magic number in its first 1024 bytes.
        b"Format notes: every file that starts with %PDF-1.7 is a PDF. "
        b"The Zorblax reactor runs on liquid helium.\n",
        # A reference list: '[1] ...' is not JSON, and the whole file is in the head.
        b"[1] Smith, J. The Zorblax reactor runs on liquid helium.\n"
        b"[2] Doe, A. Cooling at four kelvin.\n",
        # Plain text that happens to begin with the letters of an executable's magic.
        b"MZ-7 station log. The Zorblax reactor runs on liquid helium.\n",
    ],
    ids=["mentions-%PDF-", "reference-list", "starts-with-MZ"],
)
async def test_plain_text_declared_as_text_is_ingested_as_text(client, server, content):
    """Clean text declared as text stays text: mentioning "%PDF-", opening like a JSON list,
    or beginning with an executable's magic letters does not make it something else."""
    user = await register(client)
    response = await upload(client, user["headers"], content, filename="notes.txt")
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["contentType"] == "text/plain"
    final = await until_ingested(server.ws_url, user["token"], document["id"])
    assert final["status"] == "READY", final
