"""WeaviateStore against the local fake Weaviate: what is specific to Weaviate (tenants, the
owner filter, the collection's model marker, failures of the server). The behaviour every
store shares is in test_store_contract.py."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator

import numpy as np
import pytest

from retrieval.stores.base import IndexedChunk, SearchMode, SearchRequest, StoreUnavailable
from retrieval.stores.weaviate import WeaviateStore
from retrieval.stores.weaviate_queries import chunk_uuid
from retrieval.stores.weaviate_scores import parse_hybrid_explain
from tests.fakes.weaviate import FakeWeaviate, running_fake_weaviate, writes
from tests.fakes.weaviate.state import FakeError

DIM = 8
MODEL = "test-model-8d"
MODES = ["tenant-per-owner", "owner-filter"]


def unit(*weights: float) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[: len(weights)] = weights
    return vector / np.linalg.norm(vector)


def chunk(
    chunk_id: int, document_id: int, owner_id: int, text: str, vector: np.ndarray, title: str = ""
) -> IndexedChunk:
    return IndexedChunk(chunk_id, document_id, owner_id, text, vector, title)


def store_on(fake: FakeWeaviate, *, multi_tenancy: bool = True, **options) -> WeaviateStore:
    return WeaviateStore(
        fake.url,
        grpc_port=fake.grpc_port,
        collection=f"Chunks{uuid.uuid4().hex[:10]}",
        multi_tenancy=multi_tenancy,
        **{"init_timeout": 1.0, "query_timeout": 2.0, "insert_timeout": 2.0, **options},
    )


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeWeaviate]:
    async with running_fake_weaviate() as server:
        yield server


@pytest.fixture(params=MODES)
async def store(request: pytest.FixtureRequest, fake: FakeWeaviate) -> AsyncIterator[WeaviateStore]:
    store = store_on(fake, multi_tenancy=request.param == "tenant-per-owner")
    await store.open(MODEL, DIM)
    yield store
    await store.close()


def ids(hits) -> list[int]:
    return [hit.chunk_id for hit in hits]


async def test_each_owner_gets_a_tenant_of_their_own(fake: FakeWeaviate) -> None:
    store = store_on(fake, multi_tenancy=True)
    await store.open(MODEL, DIM)
    await store.upsert([chunk(1, 10, 7, "alpha", unit(1)), chunk(2, 20, 8, "alpha", unit(1))])

    name = store._name
    assert fake.tenants(name) == ["owner-7", "owner-8"]
    assert [o["chunk_id"] for o in fake.objects(name, "owner-7").values()] == [1]
    assert [o["chunk_id"] for o in fake.objects(name, "owner-8").values()] == [2]
    await store.close()


async def test_without_tenancy_every_object_carries_its_owner(fake: FakeWeaviate) -> None:
    store = store_on(fake, multi_tenancy=False)
    await store.open(MODEL, DIM)
    await store.upsert(
        [chunk(1, 10, 7, "alpha", unit(1), "Greek letters"), chunk(2, 20, 8, "alpha", unit(1))]
    )

    held = fake.objects(store._name)
    assert held[str(chunk_uuid(1))] == {
        "chunk_id": 1,
        "document_id": 10,
        "owner_id": 7,
        "title": "Greek letters",
        "text": "alpha",
    }
    assert held[str(chunk_uuid(2))]["owner_id"] == 8
    await store.close()


@pytest.mark.parametrize("mode", list(SearchMode))
async def test_an_owner_never_sees_another_owners_chunks(
    store: WeaviateStore, mode: SearchMode
) -> None:
    await store.upsert(
        [chunk(1, 10, 7, "shared words", unit(1)), chunk(2, 20, 8, "shared words", unit(1))]
    )

    mine = await store.search(SearchRequest(7, "shared", unit(1), mode=mode))
    theirs = await store.search(SearchRequest(8, "shared", unit(1), mode=mode))
    nobody = await store.search(SearchRequest(9, "shared", unit(1), mode=mode))

    assert (ids(mine), ids(theirs), ids(nobody)) == ([1], [2], [])


async def test_upserting_again_replaces_by_chunk_id(
    store: WeaviateStore, fake: FakeWeaviate
) -> None:
    await store.upsert(
        [chunk(1, 10, 7, "first draft", unit(1)), chunk(2, 10, 7, "other", unit(0, 1))]
    )
    await store.upsert([chunk(1, 10, 7, "second draft", unit(1))])

    tenant = "owner-7" if store._multi_tenancy else ""
    held = fake.objects(store._name, tenant)
    assert sorted(held) == sorted([str(chunk_uuid(1)), str(chunk_uuid(2))])
    assert ids(await store.search(SearchRequest(7, "second", None, mode=SearchMode.KEYWORD))) == [1]
    assert await store.search(SearchRequest(7, "first", None, mode=SearchMode.KEYWORD)) == []


async def test_delete_document_leaves_other_documents_and_owners(store: WeaviateStore) -> None:
    await store.upsert(
        [
            chunk(1, 10, 7, "kept apart", unit(1)),
            chunk(2, 10, 7, "kept apart", unit(1)),
            chunk(3, 11, 7, "kept apart", unit(1)),
            chunk(4, 12, 8, "kept apart", unit(1)),
        ]
    )
    await store.delete_document(7, 10)
    await store.delete_document(8, 11)  # not theirs: nothing happens
    await store.delete_document(9, 10)  # an owner with nothing stored

    assert ids(await store.search(SearchRequest(7, "kept", None, mode=SearchMode.KEYWORD))) == [3]
    assert ids(await store.search(SearchRequest(8, "kept", None, mode=SearchMode.KEYWORD))) == [4]


async def test_delete_document_repeats_past_the_servers_batch_limit(
    store: WeaviateStore, fake: FakeWeaviate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fake.controls, "max_delete", 2)
    await store.upsert([chunk(i, 10, 7, "many pieces", unit(1, i)) for i in range(1, 8)])

    await store.delete_document(7, 10)

    assert await store.search(SearchRequest(7, "pieces", unit(1), mode=SearchMode.HYBRID)) == []


@pytest.mark.parametrize("mode", list(SearchMode))
async def test_document_ids_restrict_every_mode(store: WeaviateStore, mode: SearchMode) -> None:
    await store.upsert([chunk(i, 10 + i % 3, 7, "common text", unit(1, i)) for i in range(1, 7)])

    hits = await store.search(SearchRequest(7, "common", unit(1), mode=mode, document_ids=[10, 12]))

    assert sorted(ids(hits)) == [2, 3, 5, 6]
    assert await store.search(SearchRequest(7, "common", unit(1), mode=mode, document_ids=[])) == []


async def test_hybrid_reports_the_normalised_parts_of_the_fused_score(store: WeaviateStore) -> None:
    await store.upsert(
        [
            chunk(1, 10, 7, "apple pie", unit(0, 1)),
            chunk(2, 10, 7, "apple apple apple crumble", unit(1, 1)),
            chunk(3, 10, 7, "pear tart", unit(1)),
        ]
    )

    hits = await store.search(SearchRequest(7, "apple", unit(1), alpha=0.25))

    assert ids(hits) == [2, 3, 1]
    for hit in hits:
        expected = 0.25 * (hit.vector_score or 0.0) + 0.75 * (hit.keyword_score or 0.0)
        assert hit.score == pytest.approx(expected, abs=1e-5)
    by_id = {hit.chunk_id: hit for hit in hits}
    assert (by_id[2].keyword_score, by_id[1].keyword_score) == pytest.approx((1.0, 0.0))
    assert (by_id[3].vector_score, by_id[1].vector_score) == pytest.approx((1.0, 0.0))
    assert by_id[3].keyword_score is None


async def test_hybrid_on_a_server_older_than_the_alpha_parameter() -> None:
    async with running_fake_weaviate(version="1.30.0") as fake:
        store = store_on(fake)
        await store.open(MODEL, DIM)
        await store.upsert([chunk(1, 10, 7, "apple", unit(0, 1)), chunk(2, 10, 7, "pear", unit(1))])

        assert ids(await store.search(SearchRequest(7, "apple", unit(1), alpha=0.0))) == [1]
        assert ids(await store.search(SearchRequest(7, "apple", unit(1), alpha=1.0)))[0] == 2
        await store.close()


async def test_another_model_or_dimension_recreates_the_collection(store: WeaviateStore) -> None:
    await store.upsert([chunk(1, 10, 7, "old vectors", unit(1))])

    assert await store.open(MODEL, DIM) is False
    assert ids(await store.search(SearchRequest(7, "old", None, mode=SearchMode.KEYWORD))) == [1]
    assert await store.open("another-model", DIM) is True
    assert await store.search(SearchRequest(7, "old", None, mode=SearchMode.KEYWORD)) == []

    await store.upsert([chunk(1, 10, 7, "new vectors", unit(1))])
    assert await store.open("another-model", 4) is True
    await store.upsert([chunk(1, 10, 7, "short vectors", np.ones(4, dtype=np.float32) / 2)])
    assert ids(await store.search(SearchRequest(7, "short", None, mode=SearchMode.KEYWORD))) == [1]


async def test_switching_tenancy_recreates_the_collection(fake: FakeWeaviate) -> None:
    tenants = store_on(fake, multi_tenancy=True)
    assert await tenants.open(MODEL, DIM) is False
    owner_filter = WeaviateStore(
        fake.url, grpc_port=fake.grpc_port, collection=tenants._name, multi_tenancy=False
    )

    assert await owner_filter.open(MODEL, DIM) is True
    await owner_filter.upsert([chunk(1, 10, 7, "filtered", unit(1))])
    assert ids(await owner_filter.search(SearchRequest(7, "filtered", unit(1)))) == [1]
    await tenants.close()
    await owner_filter.close()


async def test_an_api_key_is_sent_over_rest_and_grpc() -> None:
    async with running_fake_weaviate(api_key="right-key") as fake:
        wrong = store_on(fake, api_key="wrong-key")
        with pytest.raises(StoreUnavailable, match="401"):
            await wrong.open(MODEL, DIM)
        right = store_on(fake, api_key="right-key")
        await right.open(MODEL, DIM)
        await right.upsert([chunk(1, 10, 7, "secret", unit(1))])
        assert ids(await right.search(SearchRequest(7, "secret", unit(1)))) == [1]
        await right.ping()
        assert "grpc Search" in fake.controls.calls
        await wrong.close()
        await right.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_nothing_listening_is_store_unavailable() -> None:
    port = free_port()
    store = WeaviateStore(f"http://127.0.0.1:{port}", grpc_port=free_port())

    with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{port}"):
        await store.open(MODEL, DIM)
    with pytest.raises(StoreUnavailable):
        await store.ping()


async def test_ping_notices_a_grpc_port_that_does_not_answer(fake: FakeWeaviate) -> None:
    store = WeaviateStore(fake.url, grpc_port=free_port(), query_timeout=1.0)
    await store.open(MODEL, DIM)  # REST alone

    with pytest.raises(StoreUnavailable, match="not gRPC"):
        await store.ping()
    await store.drop()


async def test_a_server_going_down_and_coming_back() -> None:
    async with running_fake_weaviate() as fake:
        store = store_on(fake, query_timeout=1.0, insert_timeout=1.0)
        await store.open(MODEL, DIM)
        await store.upsert([chunk(1, 10, 7, "durable", unit(1))])
        await store.ping()

        await fake.stop()
        for attempt in (
            lambda: store.search(SearchRequest(7, "durable", unit(1))),
            lambda: store.upsert([chunk(2, 10, 7, "lost?", unit(1))]),
            lambda: store.delete_document(7, 10),
            store.ping,
        ):
            with pytest.raises(StoreUnavailable):
                await attempt()

        await fake.start()
        await store.ping()
        assert ids(await store.search(SearchRequest(7, "durable", unit(1)))) == [1]
        await store.close()


async def test_a_server_that_never_answers_times_out() -> None:
    async with running_fake_weaviate() as fake:
        store = store_on(fake, query_timeout=0.5, insert_timeout=0.5)
        await store.open(MODEL, DIM)
        fake.controls.hang()

        with pytest.raises(StoreUnavailable, match=r"within 0\.5 s"):
            await store.search(SearchRequest(7, "anything", unit(1)))
        with pytest.raises(StoreUnavailable):
            await store.upsert([chunk(1, 10, 7, "anything", unit(1))])

        fake.controls.release()
        await store.upsert([chunk(1, 10, 7, "anything", unit(1))])
        await store.close()


async def test_server_errors_are_store_unavailable(
    fake: FakeWeaviate, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = store_on(fake, multi_tenancy=False)
    await store.open(MODEL, DIM)
    monkeypatch.setattr(fake.controls, "failing", True)

    with pytest.raises(StoreUnavailable, match="injected failure"):
        await store.search(SearchRequest(7, "anything", unit(1)))  # gRPC
    with pytest.raises(StoreUnavailable, match="500"):
        await store.ping()  # REST
    await store.close()


async def test_an_object_the_server_refuses_fails_the_upsert(
    store: WeaviateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    accept = writes._put

    def refuse_chunk_2(state, obj) -> None:
        if obj.properties.non_ref_properties["chunk_id"] == 2:
            raise FakeError("refused for the test")
        accept(state, obj)

    monkeypatch.setattr(writes, "_put", refuse_chunk_2)

    with pytest.raises(StoreUnavailable, match="refused 1 of 2 chunks: refused for the test"):
        await store.upsert([chunk(1, 10, 7, "one", unit(1)), chunk(2, 10, 7, "two", unit(1))])
    with pytest.raises(StoreUnavailable, match="refused for the test"):
        await store.upsert([chunk(2, 10, 7, "two", unit(1))])


def test_explain_scores_are_read_as_the_server_writes_them() -> None:
    both = (
        "BM25F_apple_frequency:3, BM25F_apple_propLength:4\n"
        "Hybrid (Result Set vector) Document 4b9e...: original score 0.70710677, "
        "normalized score: 0.17677669 - \n"
        "Hybrid (Result Set keyword) Document 4b9e...: original score 1.1, normalized score: 0.75"
    )
    keyword, vector = parse_hybrid_explain(both, 0.25)
    assert keyword == pytest.approx(1.0)
    assert vector == pytest.approx(0.70710677)
    older = "(Result Set 'keyword') Document 4b9e: original score 2, normalized score: 0.3"
    keyword, vector = parse_hybrid_explain(older, 0.7)
    assert keyword == pytest.approx(1.0)
    assert vector is None
    vector_only = "\nHybrid (Result Set vector) Document x: original score 0.5, normalized score: 0"
    assert parse_hybrid_explain(vector_only, 1.0) == (None, 0.0)
    assert parse_hybrid_explain(None, 0.5) == (None, None)
