"""all-MiniLM-L6-v2 on onnxruntime and tokenizers: no torch, no download at run time."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from tokenizers import Tokenizer

from retrieval.embedders.base import EmbeddingFailed, ThreadedEmbedder
from retrieval.embedders.minilm_encoder import MAX_TOKENS, OnnxSentenceEncoder

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384


class MiniLMEmbedder(ThreadedEmbedder):
    """The default embedder.

    `fused=True` (the default) runs the fused int8 graph built once into `cache_dir` (see
    `minilm_build`); without a `cache_dir` it is built into a temporary folder at first use, which
    costs a few seconds per process. `fused=False` runs the unfused int8 export as shipped: about
    2.5x slower, and its vectors carry another model id, so a store never mixes the two.
    The model loads lazily, in the worker thread, at the first embedding (or at `load()`).
    """

    def __init__(
        self,
        cache_dir: Path | str | None = None,
        *,
        fused: bool = True,
        batch_size: int = 16,
        threads: int = 0,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        super().__init__(batch_size=batch_size)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.fused = fused
        self.threads = threads
        self.max_tokens = max_tokens
        self._encoder: OnnxSentenceEncoder | None = None
        self._plain_tokenizer: Tokenizer | None = None
        self._load_lock = threading.Lock()
        self._scratch: Any = None

    @property
    def model_id(self) -> str:
        return f"{MODEL_NAME}:int8-fused" if self.fused else f"{MODEL_NAME}:int8"

    @property
    def dimension(self) -> int:
        return DIMENSION

    def load(self) -> None:
        """Blocking and idempotent: builds the fused model if needed, then opens it."""
        from retrieval.embedders import minilm_build

        with self._load_lock:
            if self._encoder is not None:
                return
            try:
                if self.fused:
                    folder = self.cache_dir
                    if folder is None:
                        import tempfile

                        self._scratch = tempfile.TemporaryDirectory(prefix="taskloom-minilm-")
                        folder = Path(self._scratch.name)
                    model = minilm_build.ensure_fused_model(folder).path
                else:
                    model = minilm_build.unfused_model_path()
                self._encoder = OnnxSentenceEncoder(
                    model,
                    minilm_build.tokenizer_path(),
                    threads=self.threads,
                    max_tokens=self.max_tokens,
                )
            except (minilm_build.ModelBuildFailed, OSError, ModuleNotFoundError) as error:
                raise EmbeddingFailed(f"cannot load {self.model_id}: {error}") from error

    def _encode_batch(self, texts: list[str]) -> npt.NDArray[np.floating]:
        if self._encoder is None:
            self.load()
        assert self._encoder is not None
        return self._encoder.encode(texts)

    def token_spans(self, text: str) -> Sequence[tuple[int, int]]:
        """Character spans of MiniLM's word pieces, to chunk by the model's own token count."""
        if self._plain_tokenizer is None:
            from retrieval.embedders.minilm_build import tokenizer_path

            tokenizer = Tokenizer.from_file(str(tokenizer_path()))
            tokenizer.no_truncation()
            tokenizer.no_padding()
            self._plain_tokenizer = tokenizer
        return self._plain_tokenizer.encode(text, add_special_tokens=False).offsets
