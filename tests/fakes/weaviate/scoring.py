"""The fake's search semantics: BM25 over `word`-tokenised text, cosine distance, and hybrid
fusion (relative-score and ranked) with the explain strings the real server writes."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tests.fakes.weaviate.state import Shard, StoredObject

# The `en` stop-word preset: left out of BM25 queries, as the server does.
STOPWORDS_EN = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
     "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
     "these", "they", "this", "to", "was", "will", "with"]
)  # fmt: skip
_WORD = re.compile(r"[^\W_]+")


@dataclass
class Hit:
    obj: StoredObject
    score: float = 0.0
    distance: float | None = None
    explain: str = ""


def tokenize(text: str) -> list[str]:
    """Weaviate's `word` tokenisation: runs of letters and digits, lower-cased."""
    return [token.lower() for token in _WORD.findall(text)]


def bm25(
    shard: Shard,
    candidates: Sequence[StoredObject],
    query: str,
    properties: Sequence[tuple[str, float]],
    *,
    k1: float = 1.2,
    b: float = 0.75,
) -> list[Hit]:
    """BM25 summed over the searched properties, each times its boost (`title^2`); collection
    statistics come from the whole shard, not from the filtered candidates, as in Weaviate."""
    terms = list(dict.fromkeys(t for t in tokenize(query) if t not in STOPWORDS_EN))
    everyone = list(shard.objects.values())
    scores: dict[str, float] = {}
    notes: dict[str, list[str]] = {}
    for prop, boost in properties:
        tokens = {o.uuid: tokenize(str(o.properties.get(prop) or "")) for o in everyone}
        average = sum(map(len, tokens.values())) / len(tokens) if tokens else 0.0
        holders = {t: sum(t in held for held in tokens.values()) for t in terms}
        for obj in candidates:
            held = tokens.get(obj.uuid, [])
            for term in terms:
                frequency = held.count(term)
                if not frequency:
                    continue
                idf = math.log(1 + (len(everyone) - holders[term] + 0.5) / (holders[term] + 0.5))
                norm = 1 - b + b * len(held) / average
                part = boost * idf * frequency * (k1 + 1) / (frequency + k1 * norm)
                scores[obj.uuid] = scores.get(obj.uuid, 0.0) + part
                notes.setdefault(obj.uuid, []).append(
                    f"BM25F_{term}_frequency:{frequency}, BM25F_{term}_propLength:{len(held)}"
                )
    hits = [
        Hit(o, score=scores[o.uuid], explain=", ".join(notes[o.uuid]))
        for o in candidates
        if o.uuid in scores
    ]
    hits.sort(key=lambda h: (-h.score, h.obj.uuid))
    return hits


def cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norms == 0.0:
        return 1.0
    return 1.0 - float(np.dot(a, b)) / norms


def nearest(
    candidates: Sequence[StoredObject], vector: np.ndarray, target: str, max_distance: float | None
) -> list[Hit]:
    hits = []
    for obj in candidates:
        stored = obj.vectors.get(target)
        if stored is None or len(stored) != len(vector):
            continue
        distance = cosine_distance(stored, vector)
        if max_distance is None or distance <= max_distance:
            hits.append(Hit(obj, score=1.0 - distance, distance=distance))
    hits.sort(key=lambda h: (h.distance, h.obj.uuid))
    return hits


def fuse_relative(keyword: list[Hit], vector: list[Hit], alpha: float) -> list[Hit]:
    """Relative-score fusion: min-max each list, weight it, sum per object."""
    fused: dict[str, Hit] = {}
    for name, weight, hits in (("keyword", 1 - alpha, keyword), ("vector", alpha, vector)):
        if not hits:
            continue
        low = min(h.score for h in hits)
        high = max(h.score for h in hits)
        for hit in hits:
            part = weight if high == low else weight * (hit.score - low) / (high - low)
            line = (
                f"Hybrid (Result Set {name}) Document {hit.obj.uuid}: "
                f"original score {_go_float(hit.score)}, normalized score: {_go_float(part)}"
            )
            earlier = fused.get(hit.obj.uuid)
            if earlier is not None:
                line += " - " + earlier.explain
                part += earlier.score
            fused[hit.obj.uuid] = Hit(hit.obj, part, hit.distance, hit.explain + "\n" + line)
    return sorted(fused.values(), key=lambda h: (-h.score, h.obj.uuid))


def fuse_ranked(keyword: list[Hit], vector: list[Hit], alpha: float) -> list[Hit]:
    """Reciprocal-rank fusion with Weaviate's constant of 60."""
    fused: dict[str, Hit] = {}
    for name, weight, hits in (("keyword", 1 - alpha, keyword), ("vector", alpha, vector)):
        for rank, hit in enumerate(hits):
            part = weight / (rank + 60)
            earlier = fused.get(hit.obj.uuid)
            explain = earlier.explain if earlier else hit.explain
            line = f"Hybrid (Result Set {name}) Document {hit.obj.uuid} contributed {part}"
            total = part + (earlier.score if earlier else 0.0)
            fused[hit.obj.uuid] = Hit(hit.obj, total, hit.distance, f"{explain}\n{line}")
    return sorted(fused.values(), key=lambda h: (-h.score, h.obj.uuid))


def _go_float(value: float) -> str:
    """Roughly how Go's %v prints a float32."""
    return str(np.float32(value))
