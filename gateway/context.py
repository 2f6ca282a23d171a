"""One way to build a request's context, for GraphQL over HTTP and WebSocket and for REST."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from resolvers.context import RequestContext, Services
from resolvers.tokens import bearer_token


def request_context(services: Services, connection: HTTPConnection) -> RequestContext:
    return RequestContext(
        services=services,
        token=bearer_token(connection.headers.get("authorization")),
        client_address=connection.client.host if connection.client else "unknown",
    )
