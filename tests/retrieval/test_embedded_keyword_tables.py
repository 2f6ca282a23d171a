"""The embedded store's keyword index is one FTS5 table per owner: BM25's statistics (document
frequencies, average length) are the owner's own, so no one's ranking depends on other users'
chunks, as with Weaviate's tenants. Files of schema 1 (one shared table) are rebuilt on open."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from retrieval.stores.base import IndexedChunk, ScoredChunk, SearchMode, SearchRequest
from retrieval.stores.embedded import DEFAULT_TOKENIZER, EmbeddedStore
from tests.retrieval.test_embedded_store import MODEL, chunk, unit

ME, STRANGER, NOBODY = 1, 2, 3

# "alpha" and "beta" are equally rare among my chunks, so for "alpha beta" the alpha-heavy chunk
# ranks above the beta-heavy one. Were "alpha" counted over everyone's chunks, the stranger's
# flood would make it common, worth next to nothing, and the order would turn round.
MINE = [
    chunk(1, 10, ME, "alpha alpha alpha in the quarterly report", 1, 0, 0),
    chunk(2, 11, ME, "beta beta in the quarterly report", 0, 1, 0),
    chunk(3, 12, ME, "alpha and beta notes", 1, 1, 0),
    chunk(4, 13, ME, "minutes of the board meeting", 0, 0, 1),
    chunk(5, 14, ME, "travel expenses for march", 0, 1, 1),
    chunk(6, 15, ME, "holiday calendar", 1, 0, 1),
]
FLOOD = [
    chunk(1000 + i, 500 + i // 10, STRANGER, f"alpha release {i} of the alpha build", 1, 0, 0)
    for i in range(300)
]


def keyword(text: str, owner: int = ME, **options: object) -> SearchRequest:
    return SearchRequest(owner, text, None, mode=SearchMode.KEYWORD, **options)  # type: ignore[arg-type]


def hybrid(text: str, owner: int = ME) -> SearchRequest:
    return SearchRequest(owner, text, unit(1, 1, 0.5), mode=SearchMode.HYBRID, limit=10)


def ranked(hits: Sequence[ScoredChunk]) -> list[tuple[int, float]]:
    return [(hit.chunk_id, hit.score) for hit in hits]


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


async def opened(path: Path, chunks: Sequence[IndexedChunk]) -> EmbeddedStore:
    store = EmbeddedStore(path)
    await store.open(MODEL, 3)
    if chunks:
        await store.upsert(chunks)
    return store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[EmbeddedStore]:
    mine = await opened(tmp_path / "chunks.sqlite3", MINE)
    yield mine
    await mine.close()


async def test_my_ranking_ignores_other_owners_chunks(store: EmbeddedStore) -> None:
    keyword_before = await store.search(keyword("alpha beta", limit=10))
    hybrid_before = await store.search(hybrid("alpha beta"))
    assert [hit.chunk_id for hit in keyword_before] == [3, 1, 2]

    await store.upsert(FLOOD)

    assert ranked(await store.search(keyword("alpha beta", limit=10))) == ranked(keyword_before)
    assert ranked(await store.search(hybrid("alpha beta"))) == ranked(hybrid_before)
    theirs = await store.search(keyword("alpha beta", STRANGER, limit=500))
    assert {hit.chunk_id for hit in theirs} == {c.chunk_id for c in FLOOD}


async def test_each_owner_has_a_table_made_on_its_first_write(
    tmp_path: Path, store: EmbeddedStore
) -> None:
    path = tmp_path / "chunks.sqlite3"
    assert {"fts_owner_1", "fts_owner_2"} & tables(path) == {"fts_owner_1"}
    await store.upsert(FLOOD[:1])
    assert {"fts_owner_1", "fts_owner_2"} <= tables(path)
    assert "chunk_fts" not in tables(path)


async def test_one_owners_table_never_answers_another(tmp_path: Path, store: EmbeddedStore) -> None:
    await store.upsert(FLOOD)
    with sqlite3.connect(tmp_path / "chunks.sqlite3") as db:
        mine = db.execute("SELECT rowid FROM fts_owner_1 WHERE fts_owner_1 MATCH 'alpha'")
        assert {rowid for (rowid,) in mine} == {1, 3}
    hits = await store.search(keyword("alpha release", limit=500))
    assert {hit.chunk_id for hit in hits} == {1, 3}


async def test_an_owner_without_a_table_has_no_keyword_hits(store: EmbeddedStore) -> None:
    assert await store.search(keyword("alpha", NOBODY)) == []
    assert await store.search(hybrid("alpha", NOBODY)) == []


async def test_deleting_a_document_takes_it_out_of_the_owners_statistics(
    tmp_path: Path, store: EmbeddedStore
) -> None:
    await store.upsert(FLOOD[:10])
    await store.delete_document(ME, 10)
    await store.delete_document(ME, 14)
    assert [hit.chunk_id for hit in await store.search(keyword("alpha", limit=10))] == [3]
    never_had_them = await opened(
        tmp_path / "fresh.sqlite3", [c for c in MINE if c.document_id not in {10, 14}]
    )
    for request in (keyword("alpha beta report", limit=10), hybrid("alpha beta report")):
        assert ranked(await store.search(request)) == ranked(await never_had_them.search(request))
    await never_had_them.close()


async def test_a_table_made_by_another_connection_is_searched(
    tmp_path: Path, store: EmbeddedStore
) -> None:
    assert await store.search(keyword("alpha", STRANGER)) == []
    other = await opened(tmp_path / "chunks.sqlite3", FLOOD[:1])  # as a CLI ingest would
    await other.close()
    assert [hit.chunk_id for hit in await store.search(keyword("alpha", STRANGER))] == [1000]


async def test_a_new_model_drops_every_keyword_table(tmp_path: Path, store: EmbeddedStore) -> None:
    await store.upsert(FLOOD[:1])
    assert await store.open("another-model", 3) is True
    assert not {name for name in tables(tmp_path / "chunks.sqlite3") if name.startswith("fts_")}
    assert await store.search(keyword("alpha")) == []


def write_schema_1_store(path: Path, chunks: Sequence[IndexedChunk]) -> None:
    """A data folder as the store wrote it before keyword tables were per owner: one shared
    contentless table, with an owner token column that MATCH filtered on."""
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE chunks (
                chunk_id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL,
                owner_id INTEGER NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL,
                vector BLOB NOT NULL
            );
            CREATE INDEX chunks_by_owner ON chunks (owner_id, document_id);
            CREATE VIRTUAL TABLE chunk_fts USING fts5(title, body, owner, content='',
                tokenize='porter unicode61 remove_diacritics 2');
            """
        )
        meta = {"model_id": MODEL, "dimension": "3", "fts": f"1|{DEFAULT_TOKENIZER}"}
        db.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
        db.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
            [
                (c.chunk_id, c.document_id, c.owner_id, c.title, c.text, c.vector.tobytes())
                for c in chunks
            ],
        )
        db.executemany(
            "INSERT INTO chunk_fts (rowid, title, body, owner) VALUES (?, ?, ?, ?)",
            [(c.chunk_id, c.title, c.text, f"owner{c.owner_id}") for c in chunks],
        )


async def test_a_schema_1_file_is_rebuilt_per_owner_on_open(tmp_path: Path) -> None:
    old_path, new_path = tmp_path / "old.sqlite3", tmp_path / "new.sqlite3"
    everyone = [*MINE, *FLOOD[:50]]
    write_schema_1_store(old_path, everyone)
    assert "chunk_fts" in tables(old_path)

    reopened = await opened(old_path, [])
    assert await reopened.count() == len(everyone)  # same model: the chunks are kept
    names = tables(old_path)
    assert "chunk_fts" not in names and {"fts_owner_1", "fts_owner_2"} <= names

    built_new = await opened(new_path, everyone)
    for request in (
        keyword("alpha beta", limit=100),
        keyword("alpha release", STRANGER, limit=100),
        hybrid("alpha beta"),
    ):
        found = ranked(await reopened.search(request))
        assert found and found == ranked(await built_new.search(request))
    await reopened.close()
    await built_new.close()
