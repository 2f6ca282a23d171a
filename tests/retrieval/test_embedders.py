from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from retrieval.embedders import EMBEDDER_NAMES, Embedder, EmbeddingFailed, make_embedder
from retrieval.embedders.base import ThreadedEmbedder
from retrieval.embedders.openai_compat import OpenAIEmbedder
from retrieval.embedders.wordllama import WordLlamaEmbedder
from tests.fakes.openai_server import FakeOpenAI, fake_embedding, hang


class RecordingEmbedder(ThreadedEmbedder):
    """A stand-in model: the vector of a text is its length on axis 0 and 1 on axis 1."""

    def __init__(self, batch_size: int) -> None:
        super().__init__(batch_size=batch_size)
        self.threads: set[int] = set()
        self.batches: list[list[str]] = []

    @property
    def model_id(self) -> str:
        return "recording"

    @property
    def dimension(self) -> int:
        return 2

    def _encode_batch(self, texts: list[str]) -> npt.NDArray[np.floating]:
        self.threads.add(threading.get_ident())
        self.batches.append(texts)
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float64)


async def test_threaded_embedder_batches_off_the_loop_and_keeps_order() -> None:
    embedder = RecordingEmbedder(batch_size=3)
    texts = ["ccc", "a", "bbbbbbb", "dd", "", "eeeee", "f"]
    rows = await embedder.embed_documents(texts)
    assert rows.dtype == np.float32 and rows.shape == (7, 2)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0)
    expected = np.array([[len(t), 1.0] for t in texts])
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(rows, expected)
    assert threading.get_ident() not in embedder.threads
    assert all(len(batch) <= 3 for batch in embedder.batches)
    assert [len(t) for batch in embedder.batches for t in batch] == sorted(len(t) for t in texts)
    assert (await embedder.embed_documents([])).shape == (0, 2)
    assert np.allclose(await embedder.embed_query("dd"), rows[3])


def test_factory_knows_its_names() -> None:
    assert set(EMBEDDER_NAMES) == {"minilm", "wordllama", "openai"}
    assert isinstance(make_embedder("wordllama"), WordLlamaEmbedder)
    assert isinstance(make_embedder("openai", model="m", dimension=4), OpenAIEmbedder)
    with pytest.raises(ValueError, match="unknown embedder"):
        make_embedder("word2vec")


# --- MiniLM (the real model, built once for the module) ------------------------------------


@pytest.fixture(scope="module")
def minilm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("minilm")


@pytest.fixture(scope="module")
def minilm(minilm_cache: Path) -> Embedder:
    embedder = make_embedder("minilm", cache_dir=minilm_cache, batch_size=4)
    embedder.load()  # type: ignore[attr-defined]
    return embedder


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


async def test_minilm_embeds_meaning(minilm: Embedder) -> None:
    rows = await minilm.embed_documents(
        [
            "A man is eating food.",
            "A man is eating a piece of bread.",
            "The stock market fell sharply on Monday.",
            "Shares dropped steeply at the start of the week.",
        ]
    )
    assert rows.shape == (4, 384) and rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert cosine(rows[0], rows[1]) > cosine(rows[0], rows[2]) + 0.3
    assert cosine(rows[2], rows[3]) > cosine(rows[2], rows[1]) + 0.3
    assert minilm.model_id == "all-MiniLM-L6-v2:int8-fused" and minilm.dimension == 384


async def test_minilm_fused_model_agrees_with_the_unfused_export(
    minilm: Embedder, minilm_cache: Path
) -> None:
    from retrieval.embedders.minilm import MiniLMEmbedder
    from retrieval.embedders.minilm_build import MIN_AGREEMENT, ensure_fused_model

    report = ensure_fused_model(minilm_cache)
    assert report.built is False  # cached by the fixture, not rebuilt
    assert report.agreement >= MIN_AGREEMENT
    unfused = MiniLMEmbedder(fused=False)
    assert unfused.model_id != minilm.model_id
    texts = ["Vitamin D deficiency is linked to depression.", "How do I reset my password?"]
    fused_rows = await minilm.embed_documents(texts)
    unfused_rows = await unfused.embed_documents(texts)
    assert np.all(np.sum(fused_rows * unfused_rows, axis=1) >= MIN_AGREEMENT)


async def test_minilm_reads_up_to_256_tokens(minilm: Embedder) -> None:
    head = "Cerebral white matter develops in newborns. " * 30  # ~240 word pieces
    tail_a, tail_b = head + "Apples are red. " * 40, head + "Quantum chromodynamics. " * 40
    rows = await minilm.embed_documents([head, tail_a, tail_b])
    assert cosine(rows[1], rows[2]) > 0.9  # the tails lie past the window
    spans = minilm.token_spans(head)  # type: ignore[attr-defined]
    assert 200 < len(spans) < 256
    assert head[spans[0][0] : spans[0][1]] == "Cerebral"


async def test_minilm_query_matches_document_embedding(minilm: Embedder) -> None:
    text = "Mitochondria are the powerhouse of the cell."
    query = await minilm.embed_query(text)
    alone = (await minilm.embed_documents([text]))[0]
    assert cosine(query, alone) > 0.999


def test_minilm_build_failure_is_an_embedding_failure(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    embedder = make_embedder("minilm", cache_dir=blocked)
    with pytest.raises(EmbeddingFailed):
        embedder.load()  # type: ignore[attr-defined]


# --- WordLlama -----------------------------------------------------------------------------


async def test_wordllama_runs_offline_from_the_package() -> None:
    embedder = WordLlamaEmbedder()
    rows = await embedder.embed_documents(
        ["the cat sat on the mat", "a kitten rests on a rug", "interest rates rise again"]
    )
    assert rows.shape == (3, 256) and embedder.dimension == 256
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert cosine(rows[0], rows[1]) > cosine(rows[0], rows[2])


# --- OpenAI-compatible endpoint (the local fake server) ------------------------------------


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(embedding_dimension=8, api_key="secret") as fake:
        yield fake


@pytest.fixture
def fake(fake_openai: FakeOpenAI) -> FakeOpenAI:
    fake_openai.reset()
    return fake_openai


def openai_embedder(fake: FakeOpenAI, **options: object) -> OpenAIEmbedder:
    settings: dict[str, object] = {
        "model": "fake-model", "base_url": fake.base_url, "api_key": "secret",
        "dimension": 8, "batch_size": 2, "max_retries": 0, "timeout": 5.0,
    }  # fmt: skip
    settings.update(options)
    return OpenAIEmbedder(**settings)  # type: ignore[arg-type]


async def test_openai_embeddings_in_batches(fake: FakeOpenAI) -> None:
    embedder = openai_embedder(fake)
    texts = ["one", "two", "three", "four", "five"]
    rows = await embedder.embed_documents(texts)
    expected = np.array([fake_embedding(t, 8) for t in texts], dtype=np.float32)
    assert np.allclose(rows, expected, atol=1e-6)
    assert [r["input"] for r in fake.embedding_requests()] == [
        ["one", "two"], ["three", "four"], ["five"],
    ]  # fmt: skip
    assert embedder.model_id == "openai:fake-model:8"
    assert np.allclose(await embedder.embed_query("two"), expected[1], atol=1e-6)
    await embedder.close()


async def test_openai_can_ask_for_a_dimension(fake: FakeOpenAI) -> None:
    embedder = openai_embedder(fake, dimension=4, request_dimensions=True)
    rows = await embedder.embed_documents(["short"])
    assert rows.shape == (1, 4)
    assert fake.embedding_requests()[0]["dimensions"] == 4
    await embedder.close()


async def test_openai_failures_raise_embedding_failed(fake: FakeOpenAI) -> None:
    embedder = openai_embedder(fake)
    fake.fail_embeddings(status=500, times=1)
    with pytest.raises(EmbeddingFailed, match="fake-model"):
        await embedder.embed_documents(["x"])
    wrong_key = openai_embedder(fake, api_key="wrong")
    with pytest.raises(EmbeddingFailed):
        await wrong_key.embed_documents(["x"])
    wrong_size = openai_embedder(fake, dimension=16)
    with pytest.raises(EmbeddingFailed, match="shape"):
        await wrong_size.embed_documents(["x"])
    for client in (embedder, wrong_key, wrong_size):
        await client.close()


async def test_openai_time_out_is_short_and_clear(fake: FakeOpenAI) -> None:
    embedder = openai_embedder(fake, timeout=0.3)
    fake.queue_embeddings(hang())
    try:
        with pytest.raises(EmbeddingFailed, match=r"(?i)timed out|timeout"):
            await embedder.embed_documents(["slow"])
    finally:
        fake.release()
        await embedder.close()


def test_openai_needs_a_dimension_for_unknown_models() -> None:
    with pytest.raises(ValueError, match="dimension"):
        OpenAIEmbedder(model="mystery-model", base_url="http://127.0.0.1:9/v1")
    assert OpenAIEmbedder(model="text-embedding-3-small", api_key="k").dimension == 1536
