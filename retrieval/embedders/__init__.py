"""Embedders: MiniLM on onnxruntime (default), WordLlama (fast), an OpenAI-compatible endpoint."""

from __future__ import annotations

from typing import Any

from retrieval.embedders.base import Embedder, EmbeddingFailed, Matrix, Vector, l2_normalise

EMBEDDER_NAMES = ("minilm", "wordllama", "openai")

__all__ = [
    "EMBEDDER_NAMES",
    "Embedder",
    "EmbeddingFailed",
    "Matrix",
    "Vector",
    "l2_normalise",
    "make_embedder",
]


def make_embedder(name: str, **options: Any) -> Embedder:
    """`options` go to the chosen class: MiniLMEmbedder(cache_dir, fused, batch_size, threads),
    WordLlamaEmbedder(batch_size), OpenAIEmbedder(model, base_url, api_key, dimension, ...)."""
    if name == "minilm":
        from retrieval.embedders.minilm import MiniLMEmbedder

        return MiniLMEmbedder(**options)
    if name == "wordllama":
        from retrieval.embedders.wordllama import WordLlamaEmbedder

        return WordLlamaEmbedder(**options)
    if name == "openai":
        from retrieval.embedders.openai_compat import OpenAIEmbedder

        return OpenAIEmbedder(**options)
    raise ValueError(f"unknown embedder {name!r}; expected one of {', '.join(EMBEDDER_NAMES)}")
