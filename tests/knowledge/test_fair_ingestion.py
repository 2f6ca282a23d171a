"""Ingestion at real sizes: a large document goes in batches, owners take turns, progress reaches
1.0 only when the document is searchable, and the queue is read with LIMIT."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from infra.jobs import ingestion_queue
from models import IngestionJob, KnowledgeDocument, User
from resolvers.ids import pk_of
from tests.knowledge.test_documents import upload
from tests.support.api import graphql, register
from tests.support.processes import eventually
from tests.support.query_count import count_queries
from tests.support.subscriptions import PROGRESS, subscription

PARAGRAPH = (
    "Paragraph {n}. The archive of the northern lighthouse records the weather, the ships that "
    "passed and the oil that burned each night, in the keeper's careful hand."
)


def large_text(paragraphs: int) -> bytes:
    return "\n\n".join(PARAGRAPH.format(n=n) for n in range(paragraphs)).encode()


class _Rollback(Exception):
    """Leaves the rows a queue test made uncommitted, so the running worker never sees them."""


async def _user(name: str) -> User:
    return await User.create(
        username=name, username_key=name, name=name, email=f"{name}@example.org", password_hash="x"
    )


async def _documents(owner: User, count: int) -> list[KnowledgeDocument]:
    documents = []
    for n in range(count):
        document = await KnowledgeDocument.create(
            owner=owner, filename=f"{n}.txt", title=f"{n}", description="", sha256="0" * 64,
            content_type="text/plain", size=1,
        )  # fmt: skip
        await ingestion_queue.enqueue(document)
        documents.append(document)
    return documents


async def test_another_owner_is_served_within_a_turn_of_a_busy_owners_queue(client):
    claimed_owners: list[int] = []
    try:
        async with in_transaction():
            busy = await _user("busy")
            other = await _user("other")
            await _documents(busy, 6)
            await _documents(other, 1)
            while (job := await ingestion_queue.claim("test", 60)) is not None:
                claimed_owners.append(job.owner_id)
            raise _Rollback
    except _Rollback:
        pass
    assert len(claimed_owners) == 7
    assert claimed_owners.index(other.id) <= 2  # not behind all six of the busy owner's
    assert claimed_owners.count(busy.id) == 6


async def test_a_batch_that_goes_round_lets_the_other_owners_waiting_work_go_first(client):
    try:
        async with in_transaction():
            big = await _user("big")
            small = await _user("small")
            await _documents(big, 1)
            first = await ingestion_queue.claim("test", 60)
            assert first is not None and first.owner_id == big.id
            await _documents(small, 1)  # queued while the large one works on its batch
            await ingestion_queue.go_round(first)  # the large one has more batches
            second = await ingestion_queue.claim("test", 60)
            third = await ingestion_queue.claim("test", 60)
            assert second is not None and third is not None
            assert (second.owner_id, third.owner_id) == (small.id, big.id)
            raise _Rollback
    except _Rollback:
        pass


async def test_a_claim_reads_a_bounded_number_of_jobs_however_long_the_queue(client):
    try:
        async with in_transaction():
            owner = await _user("many")
            await _documents(owner, 1)
            document = await KnowledgeDocument.filter(owner_id=owner.id).first()
            assert document is not None
            queued = [
                KnowledgeDocument(
                    owner=owner,
                    filename=f"{n}.txt",
                    title="t",
                    description="",
                    sha256="0" * 64,
                    content_type="text/plain",
                    size=1,
                )
                for n in range(500)
            ]
            await KnowledgeDocument.bulk_create(queued)
            ids = await KnowledgeDocument.filter(owner_id=owner.id).values_list("id", flat=True)
            await IngestionJob.bulk_create(
                [
                    IngestionJob(
                        document_id=i, owner_id=owner.id, turn=10 + i, run_after=document.created
                    )
                    for i in ids
                    if i != document.id
                ]
            )
            with count_queries() as counter:
                job = await ingestion_queue.claim("test", 60)
            assert job is not None
            selects = [s for s in counter.statements if s.lstrip().upper().startswith("SELECT")]
            assert any("LIMIT" in s.upper() for s in selects), selects
            assert counter.count <= 3, counter.statements  # the head, the update, the row
            raise _Rollback
    except _Rollback:
        pass


async def test_a_small_document_is_ready_while_a_large_one_of_another_user_ingests(client, server):
    large_owner, small_owner = await register(client), await register(client)
    response = await upload(client, large_owner["headers"], large_text(12_000))  # ~1.7 MB
    assert response.status_code == 201, response.text
    large_id = response.json()["id"]

    async def large(field: str) -> object:
        answer = await client.get(f"/api/documents/{large_id}", headers=large_owner["headers"])
        return answer.json()[field]

    async def large_has_begun() -> bool:
        return await large("status") == "EMBEDDING"

    await eventually(large_has_begun, timeout=60)
    response = await upload(client, small_owner["headers"], b"One short paragraph of notes.")
    assert response.status_code == 201, response.text
    small_id = response.json()["id"]

    async def small_is_ready() -> bool:
        answer = await client.get(f"/api/documents/{small_id}", headers=small_owner["headers"])
        return answer.json()["status"] == "READY"

    await eventually(small_is_ready, timeout=60)
    assert await large("status") != "READY"  # the small one did not wait for the large one
    assert await large("progress") < 1.0
    # The server lives for the whole session: leave its worker idle for the tests that follow.
    deleted = await client.delete(f"/api/documents/{large_id}", headers=large_owner["headers"])
    assert deleted.status_code == 204


async def test_progress_reaches_one_only_when_the_document_is_ready(client, server):
    user = await register(client)
    response = await upload(client, user["headers"], large_text(3_000))  # several batches
    assert response.status_code == 201, response.text
    document_id = response.json()["id"]
    seen = []
    async with subscription(server.ws_url, user["token"], PROGRESS, {"id": document_id}) as updates:
        async for payload in updates:
            seen.append(payload["data"]["documentProgress"])
    assert seen[-1]["status"] == "READY" and seen[-1]["progress"] == 1.0
    before_ready = [state for state in seen if state["status"] != "READY"]
    assert len(before_ready) >= 3  # progress was told batch by batch
    assert all(state["progress"] < 1.0 for state in before_ready)
    progress = [state["progress"] for state in seen]
    assert progress == sorted(progress)


async def test_a_document_deleted_mid_way_leaves_neither_its_text_nor_its_chunks(
    client, server, data_dir
):
    user = await register(client)
    response = await upload(client, user["headers"], large_text(6_000))
    document_id = response.json()["id"]

    async def embedding() -> bool:
        answer = await client.get(f"/api/documents/{document_id}", headers=user["headers"])
        return answer.json()["status"] == "EMBEDDING"

    await eventually(embedding, timeout=60)
    # Other tests' documents may be ingesting beside it (the server is the session's): look at
    # this document's text alone.
    text = data_dir / "extracted" / f"{pk_of(document_id, 'Document')}.txt"
    assert text.exists()  # the text waits there between batches
    deleted = await client.delete(f"/api/documents/{document_id}", headers=user["headers"])
    assert deleted.status_code == 204

    # A worker in the middle of this document's batch may still write its text back (it was
    # deleted under it); it takes it away once it sees the document gone, its batch done.
    async def text_gone() -> bool:
        return not text.exists()

    await eventually(text_gone, timeout=60)
    found = await graphql(
        client, '{ search(query: "northern lighthouse") { score } }', headers=user["headers"]
    )
    assert found == {"data": {"search": []}}
