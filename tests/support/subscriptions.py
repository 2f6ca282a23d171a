"""A minimal graphql-transport-ws client, to follow subscriptions the way a browser would."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets


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
