"""Light text analysis for the offline provider: words, a crude stemmer, sentences, overlap.

No model and no corpus statistics: relevance is the share of the query's content words (stop words
dropped, plurals and -ing/-ed folded) that a passage contains.
"""

from __future__ import annotations

import math
import re

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n\s*\n|\n(?=\s*[-*•#])")

_STOP_WORDS = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yourselves
    please tell know find say says said explain describe give show document documents file files
    according"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


def stem(word: str) -> str:
    """Fold common English inflections so "boils", "boiled" and "boiling" match "boil"."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    return [match.group(0).lower().replace("\u2019", "'") for match in _WORD.finditer(text)]


def content_terms(text: str) -> set[str]:
    """Stemmed words that carry meaning: no stop words, no single letters."""
    return {stem(word) for word in words(text) if word not in STOP_WORDS and len(word) > 1}


def sentences(text: str) -> list[str]:
    """Sentences and list items, whitespace collapsed."""
    parts = (" ".join(part.split()) for part in _SENTENCE_END.split(text))
    return [part for part in parts if part]


def overlap(query_terms: set[str], text: str) -> int:
    return len(query_terms & content_terms(text))


def terms_needed(query_terms: set[str]) -> int:
    """How many distinct query terms a passage must contain to count as relevant: half of them,
    rounded up, but never more than three (long questions rarely match word for word)."""
    return min(3, max(1, math.ceil(len(query_terms) / 2)))
