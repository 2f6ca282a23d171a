"""What every chunk store promises, run against each of them: the embedded store, WeaviateStore
on the local fake (one tenant per owner, and an owner filter), and WeaviateStore on a real
Weaviate when WEAVIATE_URL is set (WEAVIATE_API_KEY, WEAVIATE_GRPC_HOST, WEAVIATE_GRPC_PORT are
read too). Each test works in a fresh collection, dropped afterwards.

Only what every store guarantees is asserted: orderings, isolation, filters, which per-list
score is present, not the exact score values, which depend on each store's BM25."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from retrieval.stores.base import ChunkStore, IndexedChunk, ScoredChunk, SearchMode, SearchRequest
from retrieval.stores.weaviate import WeaviateStore
from tests.fakes.weaviate import FakeWeaviate, running_fake_weaviate

DIM = 8
MODEL = "contract-model-8d"
ME, SOMEONE_ELSE, NOBODY = 1, 2, 3
STORES = ["embedded", "weaviate-fake-tenants", "weaviate-fake-owner-filter", "weaviate-real"]


def axis(*weights: float) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[: len(weights)] = weights
    return vector / np.linalg.norm(vector)


CAT, CAT_AND_DOG, DOG, PHYSICS = axis(1), axis(1, 1), axis(0, 0, 1), axis(0, 0, 0, 1)

CORPUS = [
    IndexedChunk(1, 100, ME, "the cat sat on the mat", CAT),
    IndexedChunk(2, 100, ME, "a cat and a cat and another cat", CAT_AND_DOG),
    IndexedChunk(3, 101, ME, "dogs bark at the mailman", DOG),
    IndexedChunk(4, 101, ME, "quantum physics of cold atoms", PHYSICS, title="Handbook"),
    IndexedChunk(5, 200, SOMEONE_ELSE, "the cat of someone else", CAT),
]
MINE = {1, 2, 3, 4}


@pytest.fixture(scope="module")
async def fake_weaviate() -> AsyncIterator[FakeWeaviate]:
    async with running_fake_weaviate() as fake:
        yield fake


@pytest.fixture(params=STORES)
async def fresh(
    request: pytest.FixtureRequest, tmp_path: Path, fake_weaviate: FakeWeaviate
) -> AsyncIterator[ChunkStore]:
    """A store that has never been opened."""
    kind = request.param
    if kind == "embedded":
        try:
            from retrieval.stores.embedded import EmbeddedStore
        except ImportError:
            pytest.skip("retrieval/stores/embedded.py (EmbeddedStore) does not exist yet")
        embedded = EmbeddedStore(tmp_path / "chunks.sqlite3")
        yield embedded
        await embedded.close()
        return
    collection = f"TaskloomContract{uuid.uuid4().hex[:10]}"
    if kind == "weaviate-real":
        url = os.environ.get("WEAVIATE_URL")
        if not url:
            pytest.skip("WEAVIATE_URL is not set: no real Weaviate to run the contract against")
        store = WeaviateStore(
            url,
            api_key=os.environ.get("WEAVIATE_API_KEY") or None,
            grpc_host=os.environ.get("WEAVIATE_GRPC_HOST") or None,
            grpc_port=int(os.environ.get("WEAVIATE_GRPC_PORT", "50051")),
            collection=collection,
        )
    else:
        store = WeaviateStore(
            fake_weaviate.url,
            grpc_port=fake_weaviate.grpc_port,
            collection=collection,
            multi_tenancy=kind == "weaviate-fake-tenants",
        )
    yield store
    await store.drop()
    await store.close()


@pytest.fixture
async def store(fresh: ChunkStore) -> ChunkStore:
    """A store opened for the test model and holding CORPUS."""
    await fresh.open(MODEL, DIM)
    await fresh.upsert(CORPUS)
    return fresh


async def search(
    store: ChunkStore, text: str, vector: np.ndarray | None, mode: SearchMode, **options
) -> list[ScoredChunk]:
    owner = options.pop("owner", ME)
    return await store.search(SearchRequest(owner, text, vector, mode=mode, **options))


def ids(hits: list[ScoredChunk]) -> list[int]:
    return [hit.chunk_id for hit in hits]


def assert_ranked(hits: list[ScoredChunk]) -> None:
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)
    for hit in hits:
        for part in (hit.keyword_score, hit.vector_score):
            assert part is None or 0.0 <= part <= 1.0


async def test_open_reports_when_the_model_changes(fresh: ChunkStore) -> None:
    assert await fresh.open(MODEL, DIM) is False
    await fresh.upsert(CORPUS[:1])
    assert await fresh.open(MODEL, DIM) is False
    assert ids(await search(fresh, "mat", None, SearchMode.KEYWORD)) == [1]

    assert await fresh.open("another-model", DIM) is True
    assert await search(fresh, "mat", CAT, SearchMode.HYBRID) == []
    assert await fresh.open("another-model", 4) is True


async def test_keyword_search_ranks_by_bm25(store: ChunkStore) -> None:
    hits = await search(store, "cat", None, SearchMode.KEYWORD)

    assert ids(hits) == [2, 1]
    assert_ranked(hits)
    assert hits[0].keyword_score == pytest.approx(1.0)
    assert all(hit.vector_score is None for hit in hits)
    assert await search(store, "unicorn", None, SearchMode.KEYWORD) == []


async def test_keyword_search_reads_titles(store: ChunkStore) -> None:
    assert ids(await search(store, "handbook", None, SearchMode.KEYWORD)) == [4]


async def test_vector_search_ranks_by_similarity(store: ChunkStore) -> None:
    hits = await search(store, "", CAT, SearchMode.VECTOR)

    assert ids(hits)[:2] == [1, 2]
    assert set(ids(hits)) <= MINE
    assert_ranked(hits)
    assert hits[0].vector_score == pytest.approx(1.0)
    assert all(hit.keyword_score is None for hit in hits)
    assert len(await search(store, "", CAT, SearchMode.VECTOR, limit=2)) == 2


async def test_hybrid_search_fuses_both_lists(store: ChunkStore) -> None:
    hits = await search(store, "cat", CAT, SearchMode.HYBRID, alpha=0.5)

    assert set(ids(hits)[:2]) == {1, 2}
    assert set(ids(hits)) <= MINE
    assert_ranked(hits)
    assert all(hit.keyword_score is not None or hit.vector_score is not None for hit in hits)
    assert ids(await search(store, "cat", CAT, SearchMode.HYBRID, alpha=0.0))[0] == 2
    assert ids(await search(store, "cat", CAT, SearchMode.HYBRID, alpha=1.0))[0] == 1
    assert ids(await search(store, "dogs", DOG, SearchMode.HYBRID, limit=1)) == [3]
    assert ids(await search(store, "", CAT, SearchMode.HYBRID))[:2] == [1, 2]  # no words


@pytest.mark.parametrize("mode", list(SearchMode))
async def test_owners_only_ever_see_their_own_chunks(store: ChunkStore, mode: SearchMode) -> None:
    assert ids(await search(store, "cat", CAT, mode, owner=SOMEONE_ELSE)) == [5]
    assert await search(store, "cat", CAT, mode, owner=NOBODY) == []
    assert 5 not in ids(await search(store, "cat", CAT, mode))


@pytest.mark.parametrize("mode", list(SearchMode))
async def test_document_ids_restrict_the_hits(store: ChunkStore, mode: SearchMode) -> None:
    assert set(ids(await search(store, "cat dogs", CAT, mode, document_ids=[101]))) <= {3, 4}
    assert ids(await search(store, "cat dogs", DOG, mode, document_ids=[101]))[0] == 3
    assert await search(store, "cat", CAT, mode, document_ids=[200]) == []
    assert await search(store, "cat", CAT, mode, document_ids=[]) == []


async def test_upserting_again_replaces_instead_of_duplicating(store: ChunkStore) -> None:
    edited = IndexedChunk(4, 101, ME, "a cat in quantum physics", CAT, title="Handbook")
    await store.upsert(CORPUS)
    await store.upsert([edited])

    hits = await search(store, "cat", None, SearchMode.KEYWORD)
    assert sorted(ids(hits)) == [1, 2, 4]
    assert await search(store, "atoms", None, SearchMode.KEYWORD) == []
    assert sorted(ids(await search(store, "", CAT, SearchMode.VECTOR))) == sorted(MINE)


async def test_deleting_a_document_removes_its_chunks_everywhere(store: ChunkStore) -> None:
    await store.delete_document(ME, 100)
    await store.delete_document(ME, 200)  # someone else's document: left alone

    assert await search(store, "cat", None, SearchMode.KEYWORD) == []
    assert sorted(ids(await search(store, "", CAT, SearchMode.VECTOR))) == [3, 4]
    assert 1 not in ids(await search(store, "cat", CAT, SearchMode.HYBRID))
    assert ids(await search(store, "cat", None, SearchMode.KEYWORD, owner=SOMEONE_ELSE)) == [5]


async def test_ping_answers_while_the_store_serves(store: ChunkStore) -> None:
    await store.ping()
