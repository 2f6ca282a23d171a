"""Durable ingestion: a worker killed mid-way is resumed by the next one without duplicating
chunks, and a store that is down makes the job wait and retry; nothing is lost."""

from __future__ import annotations

import sqlite3

from tests.fakes.openai_server import FakeOpenAI, hang
from tests.fakes.weaviate import running_fake_weaviate
from tests.support.processes import (
    eventually,
    migrated_with_user,
    query,
    run_taskloom,
    start_taskloom,
    taskloom_env,
)

TEXT = "\n\n".join(
    f"Section {n}. The harbour keeps {n} lighthouses and the keeper logs every ship that passes. "
    * 8
    for n in range(30)
)


async def _prepare(env, tmp_path) -> None:
    await migrated_with_user(env, "keeper")
    source = tmp_path / "harbour.txt"
    source.write_text(TEXT)
    queued = await run_taskloom(env, "ingest", str(source), "--user", "keeper", "--queue-only")
    assert queued.returncode == 0, queued.stderr


async def _document(database_url):
    (row,) = await query(database_url, "SELECT id, status, chunk_count, error FROM documents")
    return row


async def test_a_worker_killed_mid_way_is_resumed_without_duplicating_chunks(
    fresh_database_url, tmp_path
):
    with FakeOpenAI(embedding_dimension=16) as fake:
        env = taskloom_env(
            tmp_path / "data", fresh_database_url,
            TASKLOOM_EMBEDDER="openai", TASKLOOM_EMBEDDING_MODEL="fake-embedding",
            TASKLOOM_EMBEDDING_DIMENSION="16", OPENAI_BASE_URL=fake.base_url,
            OPENAI_API_KEY="test", TASKLOOM_INGESTION_LEASE="1",
        )  # fmt: skip
        await _prepare(env, tmp_path)
        fake.queue_embeddings(hang())  # the first batch never comes back
        first = await start_taskloom(env, "worker")

        async def embedding_started() -> bool:
            return bool(fake.embedding_requests())

        await eventually(embedding_started)
        first.kill()  # SIGKILL: no clean-up runs
        await first.wait()
        fake.release()
        document_id, status, chunk_count, _ = await _document(fresh_database_url)
        assert status == "embedding"
        assert await query(fresh_database_url, "SELECT count(*) FROM ingestion_jobs") == [(1,)]

        second = await run_taskloom(env, "worker", "--until-idle")
        assert second.returncode == 0, second.stderr

    document_id, status, chunk_count, error = await _document(fresh_database_url)
    assert (status, error) == ("ready", None)
    indexes = await query(
        fresh_database_url, f'SELECT "index" FROM chunks WHERE document_id = {document_id}'
    )
    assert sorted(i for (i,) in indexes) == list(range(chunk_count))
    assert chunk_count > 3
    with sqlite3.connect(tmp_path / "data" / "index.sqlite3") as index:
        (indexed,) = index.execute(
            "SELECT count(*) FROM chunks WHERE document_id = ?", (document_id,)
        ).fetchone()
    assert indexed == chunk_count
    assert await query(fresh_database_url, "SELECT count(*) FROM ingestion_jobs") == [(0,)]


async def test_a_store_that_is_down_makes_the_job_wait_and_retry(fresh_database_url, tmp_path):
    async with running_fake_weaviate() as weaviate:
        await weaviate.stop()  # refuses connections until started again, on the same ports
        env = taskloom_env(
            tmp_path / "data", fresh_database_url,
            TASKLOOM_EMBEDDER="wordllama", WEAVIATE_URL=weaviate.url,
            WEAVIATE_GRPC_PORT=str(weaviate.grpc_port), TASKLOOM_INGESTION_BACKOFF="1",
        )  # fmt: skip
        await _prepare(env, tmp_path)
        worker = await start_taskloom(env, "worker", "--until-idle")

        async def waiting_to_retry() -> bool:
            _, status, _, error = await _document(fresh_database_url)
            return status == "queued" and error is not None and "retry" in error

        await eventually(waiting_to_retry)
        await weaviate.start()
        await worker.wait()
        assert worker.returncode == 0
        _, status, chunk_count, error = await _document(fresh_database_url)
        assert (status, error) == ("ready", None)
        stored = sum(
            len(weaviate.objects("TaskloomChunk", t)) for t in weaviate.tenants("TaskloomChunk")
        )
        assert stored == chunk_count > 0


async def test_another_embedding_model_re_ingests_everything_and_never_mixes_vectors(
    fresh_database_url, tmp_path
):
    env = taskloom_env(tmp_path / "data", fresh_database_url, TASKLOOM_EMBEDDER="wordllama")
    await _prepare(env, tmp_path)
    first = await run_taskloom(env, "worker", "--until-idle")
    assert first.returncode == 0, first.stderr
    _, status, chunk_count, _ = await _document(fresh_database_url)
    assert status == "ready"
    index = tmp_path / "data" / "index.sqlite3"

    def indexed() -> tuple[str, int, set[int]]:
        with sqlite3.connect(index) as db:
            (model,) = db.execute("SELECT value FROM meta WHERE key = 'model_id'").fetchone()
            rows = db.execute("SELECT length(vector) FROM chunks").fetchall()
        return model, len(rows), {size for (size,) in rows}

    before_model, before_count, before_sizes = indexed()
    assert before_count == chunk_count

    with FakeOpenAI(embedding_dimension=16) as fake:
        switched = {
            **env, "TASKLOOM_EMBEDDER": "openai", "TASKLOOM_EMBEDDING_MODEL": "fake-embedding",
            "TASKLOOM_EMBEDDING_DIMENSION": "16", "OPENAI_BASE_URL": fake.base_url,
            "OPENAI_API_KEY": "test",
        }  # fmt: skip
        again = await run_taskloom(switched, "worker", "--until-idle")
        assert again.returncode == 0, again.stderr
        assert fake.embedding_requests()
    assert "re-ingesting 1 document" in again.stderr
    _, status, chunk_count, _ = await _document(fresh_database_url)
    after_model, after_count, after_sizes = indexed()
    assert status == "ready"
    assert before_model != after_model
    assert after_count == chunk_count
    assert after_sizes == {16 * 4} != before_sizes  # float32 vectors of the new model only


async def test_a_large_document_killed_between_batches_finishes_with_every_paragraph_once(
    fresh_database_url, tmp_path
):
    paragraphs = [
        f"Paragraph {n}: the tide table for day {n} of the harbour year." for n in range(20_000)
    ]
    text = "\n\n".join(paragraphs)  # 1.3 MB
    env = taskloom_env(tmp_path / "data", fresh_database_url, TASKLOOM_EMBEDDER="wordllama",
                       TASKLOOM_INGESTION_LEASE="1")  # fmt: skip
    await migrated_with_user(env, "keeper")
    source = tmp_path / "tides.txt"
    source.write_text(text)
    queued = await run_taskloom(env, "ingest", str(source), "--user", "keeper", "--queue-only")
    assert queued.returncode == 0, queued.stderr
    first = await start_taskloom(env, "worker")

    async def some_batches_indexed() -> bool:
        rows = await query(fresh_database_url, "SELECT indexed_chunks FROM ingestion_jobs")
        return bool(rows) and rows[0][0] >= 256

    await eventually(some_batches_indexed, timeout=60)
    first.kill()  # SIGKILL in the middle of the document
    await first.wait()
    _, status, _, _ = await _document(fresh_database_url)
    assert status != "ready"

    second = await run_taskloom(env, "worker", "--until-idle")
    assert second.returncode == 0, second.stderr
    document_id, status, chunk_count, error = await _document(fresh_database_url)
    assert (status, error) == ("ready", None)
    rows = await query(
        fresh_database_url,
        f'SELECT "index", start, "end", content FROM chunks WHERE document_id = {document_id}'
        ' ORDER BY "index"',
    )
    assert [row[0] for row in rows] == list(range(chunk_count))
    covered = 0
    for _, start, end, content in rows:
        assert start <= covered < end and text[start:end] == content  # in order, no gap
        covered = end
    assert covered == len(text)
    for paragraph in (paragraphs[0], paragraphs[9_999], paragraphs[-1]):
        assert sum(paragraph in content for *_, content in rows) >= 1
    starts = [row[1] for row in rows]
    assert len(set(starts)) == len(starts)  # no chunk twice
    with sqlite3.connect(tmp_path / "data" / "index.sqlite3") as index:
        (indexed,) = index.execute(
            "SELECT count(*) FROM chunks WHERE document_id = ?", (document_id,)
        ).fetchone()
    assert indexed == chunk_count
