"""Bounds on GraphQL WebSockets: how many one process holds, in all and per client address, and
how large one message may be before it is parsed.

A socket over the count is accepted and closed at once with 1013, WebSocket's "try again
later", and a reason saying which limit it met. graphql-transport-ws has no code for "too many
connections" (its 4429 means a second `connection_init`), and refusing the upgrade with an HTTP
429 (the denial-response extension) makes uvicorn's default WebSocket implementation log an
ERROR for every refusal, a log flood anyone could start. A message over its size closes the
socket with 4400, the protocol's "bad request", which graphql-ws clients do not retry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncGenerator, Mapping
from json import JSONDecodeError
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from infra import metrics
from infra.settings.values import WebSocketLimits

MESSAGE_TOO_LARGE = 4400  # graphql-transport-ws: Bad request
TRY_AGAIN_LATER = 1013  # IANA close-code registry: a temporary condition on the server


class WebSocketSlots:
    """The sockets this process holds, by client address. Claimed and released on the event
    loop with no await in between, so concurrent handshakes cannot overshoot."""

    def __init__(self, limits: WebSocketLimits) -> None:
        self.limits = limits
        self.total = 0
        self.by_address: Counter[str] = Counter()

    def claim(self, address: str) -> str | None:
        """Takes a slot for `address`; or, when there is none, says why not."""
        if self.by_address[address] >= self.limits.max_per_address:
            return f"At most {self.limits.max_per_address} WebSockets per client address"
        if self.total >= self.limits.max_connections:
            return "The server holds as many WebSockets as it may; try again later"
        self.total += 1
        self.by_address[address] += 1
        metrics.WEBSOCKETS_OPEN.inc()
        return None

    def release(self, address: str) -> None:
        self.total -= 1
        metrics.WEBSOCKETS_OPEN.dec()
        self.by_address[address] -= 1
        if self.by_address[address] <= 0:
            del self.by_address[address]


async def refuse(websocket: WebSocket, reason: str) -> None:
    """Closes the socket with `reason` as soon as it is open; nothing is read from it."""
    wanted = GRAPHQL_TRANSPORT_WS_PROTOCOL in websocket.scope.get("subprotocols", ())
    await websocket.accept(subprotocol=GRAPHQL_TRANSPORT_WS_PROTOCOL if wanted else None)
    await websocket.close(code=TRY_AGAIN_LATER, reason=reason)


class BoundedTextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws messages, sized before they are parsed (up to `connection_init`, which
    an anonymous client can send, against a smaller cap), and sent as text frames: a browser's
    graphql-ws client (GraphiQL's) cannot read the binary frames orjson's bytes make."""

    def __init__(
        self,
        view: Any,
        request: WebSocket,
        response: WebSocket,
        *,
        max_init_bytes: int,
        max_message_bytes: int,
    ) -> None:
        super().__init__(view, request, response)
        self.max_init_bytes = max_init_bytes
        self.max_message_bytes = max_message_bytes

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        limit = self.max_init_bytes
        while self.ws.application_state != WebSocketState.DISCONNECTED:
            frame = await self.ws.receive()
            if frame["type"] == "websocket.disconnect":
                return
            text = frame.get("text")
            if text is None:
                raise NonTextMessageReceived
            if utf8_size(text) > limit:
                await self.close(MESSAGE_TOO_LARGE, f"Message larger than {limit} bytes")
                return
            try:
                message = self.view.decode_json(text)
            except JSONDecodeError as error:
                if not ignore_parsing_errors:
                    raise NonJsonMessageReceived from error
                continue
            if isinstance(message, dict) and message.get("type") == "connection_init":
                limit = self.max_message_bytes
            yield message

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error


def utf8_size(text: str) -> int:
    # An ASCII str is one byte a character: no copy to measure it.
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
