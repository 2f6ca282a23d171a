"""Counts HTTP requests by route template and status, and times them."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.metrics import HTTP_DURATION, HTTP_REQUESTS

UNMATCHED = "unmatched"  # every path no route knows: one label, whatever a client sends


class HTTPMetrics:
    """Pure ASGI. The route is read after the app has run: Starlette's router puts the route it
    matched into the scope, which is the same dict all the way down."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            route = getattr(scope.get("route"), "path", UNMATCHED)
            HTTP_REQUESTS.labels(route, str(status)).inc()
            HTTP_DURATION.labels(route).observe(time.perf_counter() - started)
