from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from retrieval.embedders import Vector, l2_normalise
from retrieval.fusion import FusionMethod
from retrieval.stores.base import (
    ChunkStore,
    IndexedChunk,
    SearchMode,
    SearchRequest,
    StoreUnavailable,
)
from retrieval.stores.embedded import EmbeddedStore

MODEL = "test-model"


def unit(*values: float) -> Vector:
    row: Vector = l2_normalise(np.array([values], dtype=np.float32))[0]
    return row


def chunk(cid: int, doc: int, owner: int, text: str, *vec: float, title: str = "") -> IndexedChunk:
    return IndexedChunk(cid, doc, owner, text, unit(*vec), title=title)


CORPUS = [
    chunk(1, 10, 1, "The cat is running across the garden", 1, 0, 0),
    chunk(2, 10, 1, "Dogs bark at the postman every morning", 0, 1, 0),
    chunk(3, 20, 1, "Invoices are paid within thirty days", 0, 0, 1),
    chunk(4, 30, 2, "The cat is running across the garden", 1, 0, 0),
]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[EmbeddedStore]:
    opened = EmbeddedStore(tmp_path / "chunks.sqlite3")
    assert await opened.open(MODEL, 3) is False
    await opened.upsert(CORPUS)
    yield opened
    await opened.close()


def request(text: str, vector: np.ndarray | None = None, **options: object) -> SearchRequest:
    return SearchRequest(owner_id=1, text=text, vector=vector, **options)  # type: ignore[arg-type]


def test_it_is_a_chunk_store(tmp_path: Path) -> None:
    store: ChunkStore = EmbeddedStore(tmp_path / "s.sqlite3")
    assert store is not None


async def test_keyword_search_stems_and_scores(store: EmbeddedStore) -> None:
    hits = await store.search(request("runs cats", mode=SearchMode.KEYWORD))
    assert [(h.chunk_id, h.document_id) for h in hits] == [(1, 10)]
    assert hits[0].score > 0 and hits[0].keyword_score == 1.0 and hits[0].vector_score is None


async def test_vector_search_orders_by_cosine(store: EmbeddedStore) -> None:
    hits = await store.search(request("", unit(0.1, 1, 0.3), mode=SearchMode.VECTOR, limit=2))
    assert [h.chunk_id for h in hits] == [2, 3]
    assert hits[0].score == pytest.approx(float(unit(0.1, 1, 0.3) @ unit(0, 1, 0)))
    assert hits[0].vector_score == 1.0 and hits[0].keyword_score is None


async def test_hybrid_fuses_and_alpha_overrides_the_default(store: EmbeddedStore) -> None:
    query_vector = unit(0, 1, 0.2)  # close to the dog chunk, far from the cat chunk
    keyword_heavy = await store.search(request("cat garden", query_vector, alpha=0.1))
    vector_heavy = await store.search(request("cat garden", query_vector, alpha=0.9))
    assert keyword_heavy[0].chunk_id == 1
    assert vector_heavy[0].chunk_id == 2
    cat = next(h for h in keyword_heavy if h.chunk_id == 1)
    assert cat.keyword_score == 1.0 and cat.vector_score is not None
    assert cat.score == pytest.approx(0.9 * 1.0 + 0.1 * cat.vector_score)


async def test_reciprocal_rank_fusion_can_be_chosen(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "rrf.sqlite3", fusion=FusionMethod.RECIPROCAL_RANK)
    await store.open(MODEL, 3)
    await store.upsert(CORPUS)
    hits = await store.search(request("cat", unit(1, 0, 0)))
    assert hits[0].chunk_id == 1
    assert hits[0].score == pytest.approx(0.5 / 61 + 0.5 / 61)
    await store.close()


async def test_owners_never_see_each_others_chunks(store: EmbeddedStore) -> None:
    for mode in SearchMode:
        mine = await store.search(request("cat running", unit(1, 0, 0), mode=mode, limit=10))
        theirs = await store.search(
            SearchRequest(2, "cat running", unit(1, 0, 0), limit=10, mode=mode)
        )
        assert 4 not in {h.chunk_id for h in mine}
        assert {h.chunk_id for h in theirs} == {4}
    nobody = await store.search(SearchRequest(3, "cat", unit(1, 0, 0)))
    assert nobody == []


async def test_document_filter_applies_to_both_lists(store: EmbeddedStore) -> None:
    for mode in SearchMode:
        hits = await store.search(
            request("cat invoices dogs", unit(1, 1, 1), mode=mode, document_ids=[20])
        )
        assert {h.document_id for h in hits} == {20}


async def test_upsert_is_idempotent_and_replaces_text(store: EmbeddedStore) -> None:
    await store.upsert(CORPUS)
    assert await store.count() == 4
    await store.upsert([chunk(1, 10, 1, "A parrot talks", 0, 0, 1)])
    assert await store.count(owner_id=1) == 3
    assert await store.search(request("cat", mode=SearchMode.KEYWORD)) == []
    hits = await store.search(request("parrot", mode=SearchMode.KEYWORD))
    assert [h.chunk_id for h in hits] == [1]
    vector_hits = await store.search(request("", unit(0, 0, 1), mode=SearchMode.VECTOR))
    assert {h.chunk_id for h in vector_hits[:2]} == {1, 3}


async def test_delete_document_leaves_both_indexes(store: EmbeddedStore) -> None:
    assert await store.search(request("dogs", unit(0, 1, 0), limit=10))  # loads the matrix
    await store.delete_document(owner_id=1, document_id=10)
    hits = await store.search(request("cat dogs", unit(1, 1, 0), limit=10))
    assert {h.chunk_id for h in hits} == {3}
    assert await store.count() == 2
    await store.delete_document(owner_id=1, document_id=30)  # another owner's: nothing happens
    assert await store.count(owner_id=2) == 1


async def test_writes_by_another_process_are_seen_by_the_next_search(
    tmp_path: Path, store: EmbeddedStore
) -> None:
    query = request("", unit(0, 1, 1), mode=SearchMode.VECTOR, limit=1)
    assert [h.chunk_id for h in await store.search(query)] != [5]  # the owner's matrix is cached
    other = EmbeddedStore(tmp_path / "chunks.sqlite3")  # another connection, as a CLI would have
    assert await other.open(MODEL, 3) is False
    await other.upsert([chunk(5, 40, 1, "Written elsewhere", 0, 1, 1)])
    await other.close()
    assert [h.chunk_id for h in await store.search(query)] == [5]


async def test_vectors_persist_in_the_file(tmp_path: Path, store: EmbeddedStore) -> None:
    await store.close()
    again = EmbeddedStore(tmp_path / "chunks.sqlite3")
    assert await again.open(MODEL, 3) is False
    hits = await again.search(request("", unit(0, 0, 1), mode=SearchMode.VECTOR, limit=1))
    assert [h.chunk_id for h in hits] == [3]
    await again.close()


async def test_another_model_empties_the_store(tmp_path: Path, store: EmbeddedStore) -> None:
    assert await store.open("other-model", 3) is True
    assert await store.count() == 0
    assert await store.search(request("cat", mode=SearchMode.KEYWORD)) == []
    assert await store.open("other-model", 3) is False
    assert await store.open("other-model", 4) is True
    with pytest.raises(ValueError):
        await store.upsert([chunk(9, 1, 1, "three dimensions", 1, 0, 0)])


async def test_changing_the_tokenizer_rebuilds_the_keyword_index(
    tmp_path: Path, store: EmbeddedStore
) -> None:
    await store.close()
    plain = EmbeddedStore(tmp_path / "chunks.sqlite3", tokenizer="unicode61")
    assert await plain.open(MODEL, 3) is False
    assert await plain.search(request("runs", mode=SearchMode.KEYWORD)) == []  # no stemming
    assert [
        h.chunk_id for h in await plain.search(request("running", mode=SearchMode.KEYWORD))
    ] == [1]
    await plain.close()


async def test_title_is_searchable_and_weighted(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "t.sqlite3", title_weight=5.0)
    await store.open(MODEL, 3)
    await store.upsert(
        [
            chunk(1, 1, 1, "budget budget figures for the year", 1, 0, 0, title="Annual report"),
            chunk(2, 2, 1, "notes about the budget", 1, 0, 0, title="Budget"),
        ]
    )
    hits = await store.search(request("budget", mode=SearchMode.KEYWORD))
    assert [h.chunk_id for h in hits] == [2, 1]
    assert [h.chunk_id for h in await store.search(request("annual", mode=SearchMode.KEYWORD))] == [
        1
    ]
    await store.close()


@pytest.mark.parametrize(
    "text", ['NEAR("cat" garden)', "cat* OR", 'owner:"owner2"', "{title body}: x", '"', "-", ""]
)
async def test_query_text_cannot_inject_fts_syntax(store: EmbeddedStore, text: str) -> None:
    hits = await store.search(request(text, mode=SearchMode.KEYWORD, limit=10))
    assert 4 not in {h.chunk_id for h in hits}


async def test_bad_requests_are_refused(store: EmbeddedStore) -> None:
    with pytest.raises(ValueError):
        await store.search(request("cat"))  # HYBRID without a vector
    with pytest.raises(ValueError):
        await store.search(request("cat", unit(1, 0, 0), alpha=1.5))
    assert await store.search(request("cat", unit(1, 0, 0), limit=0)) == []


async def test_unopened_or_closed_store_is_unavailable(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "x.sqlite3")
    with pytest.raises(StoreUnavailable):
        await store.ping()
    await store.open(MODEL, 3)
    await store.ping()
    await store.close()
    with pytest.raises(StoreUnavailable):
        await store.ping()


async def test_keyword_search_reads_the_context_when_given(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "c.sqlite3")
    await store.open(MODEL, 3)
    small = IndexedChunk(
        1, 1, 1, "the results held", unit(1, 0, 0), context="zebras were counted; the results held"
    )
    await store.upsert([small, chunk(2, 2, 1, "unrelated words", 0, 1, 0)])
    hits = await store.search(request("zebras", mode=SearchMode.KEYWORD))
    assert [h.chunk_id for h in hits] == [1]
    await store.upsert([chunk(1, 1, 1, "the results held", 1, 0, 0)])  # context dropped
    assert await store.search(request("zebras", mode=SearchMode.KEYWORD)) == []
    await store.delete_document(owner_id=1, document_id=1)
    assert await store.search(request("results", mode=SearchMode.KEYWORD)) == []
    await store.close()
