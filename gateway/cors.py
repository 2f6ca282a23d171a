"""Cross-origin access: TASKLOOM_CORS_ORIGINS names the browser origins that may call the API
(none by default). The same list decides which pages of other origins may open the GraphQL
WebSocket, which browsers do not guard with preflights (the view asks `origin_pattern`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

# scheme://host[:port], where `*` may stand for host labels or the port.
ORIGIN = re.compile(
    r"(?P<scheme>https?)://(?P<host>[a-z0-9.*-]+|\[[0-9a-f:.]+\])(?::(?P<port>\d+|\*))?"
)
HOST_WILDCARD = r"[a-z0-9-]+(?:\.[a-z0-9-]+)*"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# Headers a browser script may read: throttling, request ids and download names.
EXPOSED = ("Retry-After", "X-Request-ID", "Content-Disposition")
PREFLIGHT_CACHE_SECONDS = 600


def invalid_origin(origin: str) -> str | None:
    """Why `origin` is not an origin or origin pattern, or None when it is one."""
    if origin == "*":
        return None
    if ORIGIN.fullmatch(origin) is None:
        return "must be scheme://host[:port] (http or https, lower case, no path), `*` allowed"
    return None


def origin_pattern(origins: Sequence[str]) -> re.Pattern[str] | None:
    """One pattern that matches exactly the allowed origins; None when there are none."""
    if not origins:
        return None
    if "*" in origins:
        return re.compile(r".*")
    return re.compile("|".join(_pattern(origin) for origin in origins))


def _pattern(origin: str) -> str:
    match = ORIGIN.fullmatch(origin)
    assert match is not None  # the settings refuse anything else
    host = match["host"]
    pattern = f"{match['scheme']}://" + HOST_WILDCARD.join(re.escape(p) for p in host.split("*"))
    port = match["port"]
    if port == "*":
        pattern += r":\d+"
    elif port is not None:
        pattern += re.escape(f":{port}")
    return pattern


def cors_middleware(origins: Sequence[str]) -> list[Middleware]:
    pattern = origin_pattern(origins)
    if pattern is None:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origin_regex=pattern.pattern,
            allow_methods=METHODS,
            # Tokens travel in a header, never in cookies: any request header may be sent.
            allow_headers=["*"],
            allow_credentials=False,
            expose_headers=EXPOSED,
            max_age=PREFLIGHT_CACHE_SECONDS,
        )
    ]
