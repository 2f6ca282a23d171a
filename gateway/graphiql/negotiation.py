"""Who gets the page: a browser's GET of the endpoint. Everything else goes to the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

JSON_TYPES = ("application/json", "application/graphql-response+json")


class RequestLike(Protocol):
    """Starlette's request and Strawberry's request adapter alike."""

    @property
    def method(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def query_params(self) -> Mapping[str, object]: ...


def wants_graphiql(request: RequestLike) -> bool:
    """A GET that prefers HTML to JSON and carries no operation: neither a `query` nor
    `extensions` (a persisted query's hash). Unlike Strawberry's own test, `*/*` alone (curl,
    httpx, fetch) is not a browser: such a client gets the API's answer."""
    params = request.query_params
    if request.method != "GET" or "query" in params or "extensions" in params:
        return False
    accepted = qualities(request.headers.get("accept", ""))
    html = accepted.get("text/html", 0.0)
    return html > 0 and html >= max(accepted.get(kind, 0.0) for kind in JSON_TYPES)


def accepts_gzip(request: RequestLike) -> bool:
    return qualities(request.headers.get("accept-encoding", "")).get("gzip", 0.0) > 0


def qualities(header: str) -> dict[str, float]:
    """`text/html;q=0.9, */*;q=0.8` → {"text/html": 0.9, "*/*": 0.8}; an unreadable q is 0."""
    found: dict[str, float] = {}
    for item in header.split(","):
        value, *parameters = (part.strip() for part in item.split(";"))
        if not value:
            continue
        quality = 1.0
        for parameter in parameters:
            key, _, raw = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = min(max(float(raw), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        found[value.lower()] = max(quality, found.get(value.lower(), 0.0))
    return found
