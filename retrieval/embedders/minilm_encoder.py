"""One ONNX graph of MiniLM as a blocking sentence encoder: the embedder runs it, and the build
checks a graph it made against the reference with it.

Mean pooling over the attention mask, then L2 normalisation, as sentence-transformers does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from retrieval.embedders.base import Matrix, l2_normalise

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
