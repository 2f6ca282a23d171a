"""Automatic persisted queries (Apollo's protocol): a client sends the sha256 of a document
instead of the document; on a miss it sends both once and the server remembers the pair.

Anyone can send a pair, so the store is bounded in bytes (least recently used first out) and
remembers a pair only once its document has parsed, validated and run for a signed-in user
(`remember`, called by the schema after execution). An anonymous registration (a sign-in, say)
runs but is not kept: such a client sends the document again next time, as after an eviction.
"""

from __future__ import annotations

import hashlib
import sys
from typing import Any

from graphql import GraphQLError

from infra.errors import ErrorCode
from schema.byte_lru import ByteBoundedLRU

DEFAULT_MAX_BYTES = 32 * 1024 * 1024


class PersistedQueries:
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, max_query_bytes: int = 100_000) -> None:
        self.documents: ByteBoundedLRU[str, str] = ByteBoundedLRU(max_bytes, max_bytes)
        self.max_query_bytes = max_query_bytes

    def resolve(self, query: str | None, extension: Any) -> tuple[str, str | None]:
        """The document to run, and its digest when the request registers it (sent both);
        raises GraphQLError for a miss or a hash that does not match."""
        if not isinstance(extension, dict) or extension.get("version") != 1:
            raise _error("Unsupported persisted query version", ErrorCode.BAD_REQUEST)
        digest = extension.get("sha256Hash")
        if not isinstance(digest, str) or len(digest) != 64:
            raise _error(
                "persistedQuery.sha256Hash must be a sha256 hex digest", ErrorCode.BAD_REQUEST
            )
        digest = digest.lower()
        if query is None:
            known = self.documents.get(digest)
            if known is None:
                raise _error("PersistedQueryNotFound", ErrorCode.PERSISTED_QUERY_NOT_FOUND)
            return known, None
        try:
            encoded = query.encode()
        except UnicodeEncodeError:  # a lone surrogate: no text, so no hash, can match it
            raise _error("provided sha does not match query", ErrorCode.BAD_REQUEST) from None
        if hashlib.sha256(encoded).hexdigest() != digest:
            raise _error("provided sha does not match query", ErrorCode.BAD_REQUEST)
        return query, digest if len(encoded) <= self.max_query_bytes else None

    def remember(self, digest: str, query: str) -> None:
        self.documents.put(digest, query, sys.getsizeof(query) + sys.getsizeof(digest))


def _error(message: str, code: ErrorCode) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})
