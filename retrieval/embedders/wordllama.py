"""WordLlama (static token embeddings, 256-d): ~30x faster than MiniLM, for huge corpora and tests.

Its weights ship inside the package; `disable_download` keeps it offline, and the cache folder must
be the package folder itself because the package looks for its tokenizer there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from retrieval.embedders.base import EmbeddingFailed, ThreadedEmbedder

WORDLLAMA_CONFIG = "l2_supercat"
DIMENSION = 256  # the only size whose weights the package ships


class WordLlamaEmbedder(ThreadedEmbedder):
    def __init__(self, *, batch_size: int = 64) -> None:
        super().__init__(batch_size=batch_size)
        self._model: Any = None

    @property
    def model_id(self) -> str:
        return f"wordllama:{WORDLLAMA_CONFIG}:{DIMENSION}"

    @property
    def dimension(self) -> int:
        return DIMENSION

    def load(self) -> None:
        if self._model is not None:
            return
        try:
            import wordllama  # type: ignore[import-untyped]

            self._model = wordllama.WordLlama.load(
                config=WORDLLAMA_CONFIG,
                dim=DIMENSION,
                cache_dir=Path(wordllama.__file__).parent,
                disable_download=True,
            )
        except Exception as error:
            raise EmbeddingFailed(f"cannot load {self.model_id}: {error}") from error

    def _encode_batch(self, texts: list[str]) -> npt.NDArray[np.floating]:
        self.load()
        rows: npt.NDArray[np.floating] = self._model.embed(texts, norm=True, batch_size=len(texts))
        return rows
