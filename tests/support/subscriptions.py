"""A minimal graphql-transport-ws client, to follow subscriptions the way a browser would."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus


@asynccontextmanager
async def subscription(
    ws_url: str, token: str | None, query: str, variables: dict[str, Any] | None = None
) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
    """Yields an iterator over the `payload`s of `next` messages; it ends on `complete` and
    raises on `error`."""
    async with websockets.connect(
        ws_url + "/graphql", subprotocols=["graphql-transport-ws"], open_timeout=10
    ) as socket:
        init = {"Authorization": f"Bearer {token}"} if token else {}
        await socket.send(json.dumps({"type": "connection_init", "payload": init}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables or {}},
                }
            )
        )

        async def messages() -> AsyncIterator[dict[str, Any]]:
            while True:
                message = json.loads(await socket.recv())
                if message["type"] == "next":
                    if message["payload"].get("errors"):
                        raise SubscriptionError(message["payload"]["errors"])
                    yield message["payload"]
                elif message["type"] == "complete":
                    return
                elif message["type"] == "error":
                    raise SubscriptionError(message["payload"])

        yield messages()


class SubscriptionError(Exception):
    pass


PROGRESS = """
subscription($id: ID!) { documentProgress(id: $id) { id status progress error chunkCount } }
"""


async def until_ingested(ws_url: str, token: str, document_id: str) -> dict[str, Any]:
    """Follows a document's progress to its end; returns the last state (READY or FAILED)."""
    last: dict[str, Any] = {}
    async with subscription(ws_url, token, PROGRESS, {"id": document_id}) as updates:
        async for payload in updates:
            assert "errors" not in payload, payload
            last = payload["data"]["documentProgress"]
    return last


@dataclass
class Handshake:
    """How a graphql-transport-ws handshake ended: acknowledged (`socket` is open; the caller
    closes it), refused at the upgrade (`status`), or closed before the ack (`close_code`)."""

    socket: ClientConnection | None = None
    status: int | None = None
    close_code: int | None = None


async def initialise(
    ws_url: str,
    payload: dict[str, Any] | None = None,
    *,
    source: str = "127.0.0.1",
    **connect_options: Any,
) -> Handshake:
    """Opens a socket from the loopback address `source` (any of 127.0.0.0/8, to stand for
    several clients) and sends `connection_init` with `payload`."""
    try:
        socket = await websockets.connect(
            ws_url + "/graphql",
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            open_timeout=10,
            local_addr=(source, 0),
            **connect_options,
        )
    except InvalidStatus as refused:
        return Handshake(status=refused.response.status_code)
    try:
        await socket.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
        reply = json.loads(await socket.recv())
    except ConnectionClosed as closed:
        return Handshake(close_code=closed.rcvd.code if closed.rcvd else None)
    assert reply["type"] == "connection_ack", reply
    return Handshake(socket=socket)
