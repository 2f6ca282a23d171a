"""An OpenAI-compatible `/v1/embeddings` endpoint through the official async client."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import openai

from retrieval.embedders.base import EmbeddingFailed, Matrix, Vector, l2_normalise

KNOWN_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


class OpenAIEmbedder:
    """`dimension` is required for models not in KNOWN_DIMENSIONS. When `request_dimensions` is
    set, the endpoint is asked for vectors of that size (text-embedding-3 models can shorten)."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        dimension: int | None = None,
        request_dimensions: bool = False,
        batch_size: int = 64,
        timeout: float = 10.0,
        max_retries: int = 1,
    ) -> None:
        resolved = dimension if dimension is not None else KNOWN_DIMENSIONS.get(model)
        if resolved is None:
            raise ValueError(f"the dimension of embedding model {model!r} must be given")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.model = model
        self.batch_size = batch_size
        self._dimension = resolved
        self._request_dimensions = request_dimensions
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            # The client refuses to start without a key; local endpoints often need none.
            api_key=api_key or "unused",
            timeout=timeout,
            max_retries=max_retries,
        )

    @property
    def model_id(self) -> str:
        return f"openai:{self.model}:{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    async def _embed_batch(self, texts: list[str]) -> Matrix:
        try:
            if self._request_dimensions:
                response = await self._client.embeddings.create(
                    model=self.model,
                    input=texts,
                    encoding_format="float",
                    dimensions=self._dimension,
                )
            else:
                response = await self._client.embeddings.create(
                    model=self.model, input=texts, encoding_format="float"
                )
        except openai.OpenAIError as error:
            raise EmbeddingFailed(f"embedding endpoint failed ({self.model}): {error}") from error
        rows = sorted(response.data, key=lambda item: item.index)
        if len(rows) != len(texts):
            raise EmbeddingFailed(f"asked {len(texts)} embeddings of {self.model}, got {len(rows)}")
        matrix = np.asarray([row.embedding for row in rows], dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[1] != self._dimension:
            raise EmbeddingFailed(
                f"{self.model} returned vectors of shape {matrix.shape}, expected {self._dimension}"
            )
        return l2_normalise(matrix)

    async def embed_documents(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        # The API rejects empty strings; a lone space embeds as (almost) nothing, as intended.
        cleaned = [text if text.strip() else " " for text in texts]
        parts = [
            await self._embed_batch(cleaned[begin : begin + self.batch_size])
            for begin in range(0, len(cleaned), self.batch_size)
        ]
        return np.concatenate(parts)

    async def embed_query(self, text: str) -> Vector:
        vector: Vector = (await self.embed_documents([text]))[0]
        return vector

    async def close(self) -> None:
        await self._client.close()
