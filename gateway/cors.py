"""Cross-origin access: TASKLOOM_CORS_ORIGINS names the browser origins that may call the API
(none by default). The same list decides which pages of other origins may open the GraphQL
WebSocket, which browsers do not guard with preflights (the view asks `origin_pattern`)."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from infra.settings.origins import origin_pattern

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# Headers a browser script may read: throttling, request ids and download names.
EXPOSED = ("Retry-After", "X-Request-ID", "Content-Disposition")
PREFLIGHT_CACHE_SECONDS = 600


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
