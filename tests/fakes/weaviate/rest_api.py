"""The fake's REST side: a small HTTP/1.1 server (keep-alive, Content-Length bodies) with the
schema, tenant and readiness endpoints the client uses."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from dataclasses import dataclass
from typing import Any

from tests.fakes.weaviate.controls import Controls
from tests.fakes.weaviate.state import FakeError, FakeState

_REASONS = {200: "OK", 401: "Unauthorized", 404: "Not Found", 422: "Unprocessable Entity",
            500: "Internal Server Error"}  # fmt: skip
_OPEN_PATHS = ("/v1/.well-known/ready", "/v1/.well-known/live")


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class RestServer:
    def __init__(self, state: FakeState, controls: Controls) -> None:
        self._state = state
        self._controls = controls
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        # Open keep-alive connections would otherwise outlive the listening socket.
        for writer in self._connections.values():
            writer.transport.abort()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            while (request := await _read_request(reader)) is not None:
                status, payload = await self._answer(request)
                if self._server is None:
                    break  # stopped while this request hung: the client sees a dropped line
                body = b"" if payload is None else json.dumps(payload).encode()
                head = (
                    f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                )
                writer.write(head.encode() + (b"" if request.method == "HEAD" else body))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._connections.pop(task, None)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(self, request: Request) -> tuple[int, Any]:
        controls = self._controls
        controls.calls.append(f"{request.method} {request.path}")
        await controls.wait_released()
        if request.path not in _OPEN_PATHS and not controls.authorised(
            request.headers.get("authorization")
        ):
            return 401, _error("anonymous access not enabled, please provide an auth scheme")
        if controls.failing:
            return 500, _error("injected failure")
        try:
            return self._route(request)
        except FakeError as exc:
            return exc.status, _error(exc.message)

    def _route(self, request: Request) -> tuple[int, Any]:
        state, method, path = self._state, request.method, request.path
        if path in _OPEN_PATHS:
            return 200, None
        if path == "/v1/meta" and method == "GET":
            return 200, {
                "hostname": "http://[::]:8080",
                "version": self._controls.version,
                "modules": {},
                "grpcMaxMessageSize": 104858000,
            }
        if path == "/v1/schema":
            if method == "POST":
                return 200, state.create_collection(request.body)
            return 200, {"classes": [c.schema for c in state.collections.values()]}
        if match := re.fullmatch(r"/v1/schema/(\w+)", path):
            if method == "DELETE":
                state.delete_collection(match[1])
                return 200, None
            return 200, state.collection(match[1]).schema
        if match := re.fullmatch(r"/v1/schema/(\w+)/tenants", path):
            if method == "POST":
                return 200, state.add_tenants(match[1], request.body)
            if method == "DELETE":
                state.remove_tenants(match[1], request.body)
                return 200, None
            return 200, [{"name": n, "activityStatus": "HOT"} for n in state.tenants(match[1])]
        if match := re.fullmatch(r"/v1/schema/(\w+)/tenants/([\w-]+)", path):
            if match[2] not in state.tenants(match[1]):
                return 404, None
            return 200, {"name": match[2], "activityStatus": "HOT"}
        return 404, _error(f"the fake Weaviate has no {method} {path}")


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    line = await reader.readline()
    if not line.strip():
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    raw = await reader.readexactly(length) if length else b""
    path = target.split("?", 1)[0]
    return Request(method, path, headers, json.loads(raw) if raw else None)


def _error(message: str) -> dict[str, Any]:
    return {"error": [{"message": message}]}
