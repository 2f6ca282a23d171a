"""Automatic persisted queries (Apollo's protocol): a client sends the sha256 of a document
instead of the document; on a miss it sends both once and the server remembers the pair."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

from graphql import GraphQLError

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"


class PersistedQueries:
    def __init__(self, max_entries: int = 10_000, max_query_bytes: int = 100_000) -> None:
        self._documents: OrderedDict[str, str] = OrderedDict()
        self.max_entries = max_entries
        self.max_query_bytes = max_query_bytes

    def resolve(self, query: str | None, extension: Any) -> str:
        """The document to run; raises GraphQLError for a miss or a hash that does not match."""
        if not isinstance(extension, dict) or extension.get("version") != 1:
            raise _error("Unsupported persisted query version", "BAD_REQUEST")
        digest = extension.get("sha256Hash")
        if not isinstance(digest, str) or len(digest) != 64:
            raise _error("persistedQuery.sha256Hash must be a sha256 hex digest", "BAD_REQUEST")
        digest = digest.lower()
        if query is None:
            known = self._documents.get(digest)
            if known is None:
                raise _error("PersistedQueryNotFound", NOT_FOUND)
            self._documents.move_to_end(digest)
            return known
        try:
            encoded = query.encode()
        except UnicodeEncodeError:  # a lone surrogate: no text, so no hash, can match it
            raise _error("provided sha does not match query", "BAD_REQUEST") from None
        if hashlib.sha256(encoded).hexdigest() != digest:
            raise _error("provided sha does not match query", "BAD_REQUEST")
        if len(encoded) <= self.max_query_bytes:
            self._documents[digest] = query
            self._documents.move_to_end(digest)
            while len(self._documents) > self.max_entries:
                self._documents.popitem(last=False)
        return query


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})
