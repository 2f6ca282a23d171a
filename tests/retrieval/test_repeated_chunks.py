"""A file built of one pattern cuts into the same chunk over and over; each distinct text is
embedded once, and every chunk still gets its vector, in its place."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from retrieval.retriever import ChunkToIndex, Retriever
from retrieval.stores.embedded import EmbeddedStore
from tests.retrieval.test_embedders import RecordingEmbedder


def chunks(texts: list[str]) -> list[ChunkToIndex]:
    return [ChunkToIndex(index, text, f"title\n{text}") for index, text in enumerate(texts)]


async def test_each_distinct_text_is_embedded_once(tmp_path: Path) -> None:
    embedder = RecordingEmbedder(batch_size=64)
    retriever = Retriever(embedder, EmbeddedStore(tmp_path / "s.sqlite3"), batch_size=4)
    texts = ["</" * 50, "</" * 50 + "<", "b"] * 100 + ["cc"]
    progress: list[tuple[int, int]] = []

    async def record(done: int, total: int) -> None:
        progress.append((done, total))

    vectors = await retriever.embed(chunks(texts), record)

    embedded = [text for batch in embedder.batches for text in batch]
    assert sorted(embedded) == sorted({f"title\n{text}" for text in texts})
    assert [len(batch) for batch in vectors] == [4] * 75 + [1]
    one_by_one = await RecordingEmbedder(batch_size=64).embed_documents(
        [f"title\n{text}" for text in texts]
    )
    assert np.array_equal(np.concatenate(vectors), one_by_one)
    assert progress[-1] == (4, 4)
    assert await retriever.embed([]) == []
