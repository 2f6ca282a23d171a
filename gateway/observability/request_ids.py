"""A request id on every HTTP answer (`X-Request-ID`) and on every log line written while the
request is served: the client's own when it sent a sane one, else a new one."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"
# Bounded and without separators or control characters: safe to echo and to log.
SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


class RequestIds:
    """Pure ASGI. The id is set in the request's context and not reset afterwards: uvicorn
    serves each request in a task of its own, whose context ends with it, and Starlette's
    outermost error handler logs an unexpected error after every middleware has returned."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _given_id(scope["headers"]) or uuid.uuid4().hex
        current_request_id.set(request_id)
        if scope["type"] == "websocket":  # logs carry it; an upgrade's answer has no header
            await self.app(scope, receive, send)
            return
        header = (HEADER, request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A new list: a response object's own headers may be sent more than once.
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        await self.app(scope, receive, send_with_id)


def _given_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == HEADER:
            return value.decode("ascii") if SANE_ID.fullmatch(value) else None
    return None
