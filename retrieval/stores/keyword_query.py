"""Turns free text into an FTS5 MATCH expression that matches any of its terms.

It needs no owner filter: it runs against the owner's own FTS5 table (see keyword_index), whose
BM25 statistics are the owner's alone. Terms are quoted so that user text can never inject FTS5
syntax (NEAR, column filters, `*`). English stop words are dropped, as a BM25 engine does; a
query made only of stop words keeps them.
"""

from __future__ import annotations

import re

MAX_TERMS = 64  # a pasted page as a query would otherwise cost one posting-list scan per word

_TERM = re.compile(r"\w+")

_STOP_WORDS_TEXT = """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def query_terms(text: str) -> list[str]:
    terms = [term.lower() for term in _TERM.findall(text)]
    kept = [term for term in terms if term not in STOP_WORDS] or terms
    return list(dict.fromkeys(kept))[:MAX_TERMS]


def match_expression(text: str) -> str | None:
    """None when the text has no searchable term."""
    terms = query_terms(text)
    if not terms:
        return None
    return " OR ".join(f'"{term}"' for term in terms)
