"""Citations: chunk ids written in brackets in an answer ("[12]", "[12, 15]", "[chunk 12]").

A bracketed number counts as a citation only when it is the id of a chunk this task's searches
actually returned, so a model's "[1]" footnote or a year in brackets is not mistaken for one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agent.types import Citation, JSONDict, TaskState

_BRACKETS = re.compile(r"\[((?:\s*(?:chunk|#)?\s*:?\s*\d+\s*[,;]?)+)\]", re.IGNORECASE)
_NUMBER = re.compile(r"\d+")


def hits_of(details: JSONDict) -> list[JSONDict]:
    """The hits a search_knowledge step recorded in its details."""
    hits = details.get("hits")
    return [hit for hit in hits if isinstance(hit, dict)] if isinstance(hits, list) else []


def known_sources(state: TaskState) -> dict[int, float]:
    """Every chunk id this task's searches returned, with the best score it got."""
    scores: dict[int, float] = {}
    for step in state.history:
        for hit in hits_of(step.result.details):
            chunk_id, score = hit.get("chunk_id"), hit.get("score")
            if isinstance(chunk_id, int) and isinstance(score, int | float):
                scores[chunk_id] = max(float(score), scores.get(chunk_id, float("-inf")))
    return scores


def cited_chunk_ids(text: str) -> list[int]:
    """Bracketed numbers in order of first appearance."""
    found: list[int] = []
    for bracket in _BRACKETS.finditer(text):
        for number in _NUMBER.findall(bracket.group(1)):
            if int(number) not in found:
                found.append(int(number))
    return found


def citations_in(text: str, sources: dict[int, float]) -> tuple[Citation, ...]:
    return tuple(Citation(c, sources[c]) for c in cited_chunk_ids(text) if c in sources)


def merge(*groups: Iterable[Citation]) -> tuple[Citation, ...]:
    """One citation per chunk, first seen first, keeping the best score."""
    best: dict[int, float] = {}
    for group in groups:
        for citation in group:
            previous = best.get(citation.chunk_id, citation.score)
            best[citation.chunk_id] = max(citation.score, previous)
    return tuple(Citation(chunk_id, score) for chunk_id, score in best.items())
