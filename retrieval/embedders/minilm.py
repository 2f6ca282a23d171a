"""all-MiniLM-L6-v2 on onnxruntime and tokenizers: no torch, no download at run time.

Mean pooling over the attention mask, then L2 normalisation, as sentence-transformers does.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from tokenizers import Tokenizer

from retrieval.embedders.base import EmbeddingFailed, Matrix, ThreadedEmbedder, l2_normalise

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model, [CLS] and [SEP] included


class OnnxSentenceEncoder:
    """A blocking encoder over one ONNX graph of MiniLM (fused or not)."""

    def __init__(self, model: Path, tokenizer: Path, *, threads: int, max_tokens: int = MAX_TOKENS):
        import onnxruntime as ort  # type: ignore[import-untyped]

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session: Any = ort.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {item.name: item.type for item in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        # MiniLM's tokenizer.json truncates at 128 tokens; the model was trained with 256.
        self._tokenizer.enable_truncation(max_tokens)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 (a token name)

    def encode(self, texts: list[str]) -> Matrix:
        encodings = self._tokenizer.encode_batch(texts)
        int_type = np.int32 if self._inputs["input_ids"] == "tensor(int32)" else np.int64
        ids = np.array([e.ids for e in encodings], dtype=int_type)
        mask = np.array([e.attention_mask for e in encodings], dtype=int_type)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (hidden,) = self._session.run(
            ["last_hidden_state"], {k: v for k, v in feed.items() if k in self._inputs}
        )
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return l2_normalise(pooled)


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
