"""One way to build a request's context, for GraphQL over HTTP and WebSocket and for REST."""

from __future__ import annotations

import ipaddress

from starlette.requests import HTTPConnection

from infra.security.tokens import bearer_token
from resolvers.context import RequestContext, Services

# One IPv6 subscriber is usually given a whole /64: counted by address, each attempt could come
# from a fresh one.
IPV6_PREFIX = 64


def request_context(services: Services, connection: HTTPConnection) -> RequestContext:
    return RequestContext(
        services=services,
        token=bearer_token(connection.headers.get("authorization")),
        client_address=client_address(connection),
    )


def client_address(connection: HTTPConnection) -> str:
    """The address that per-address limits count: the peer's (or, from a trusted proxy, the one
    it forwarded, as the server has already put in its place), an IPv6 one by its /64."""
    if connection.client is None:
        return "unknown"
    host = connection.client.host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # not an IP (a Unix socket's peer, a test transport's name)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)
