"""The real ASGI app served by uvicorn on a loopback port, inside the test's event loop, so that
tests speak real HTTP (and WebSocket) to it and can still use the ORM directly."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp


@dataclass
class LiveServer:
    app: ASGIApp
    _server: uvicorn.Server | None = None
    _socket: socket.socket | None = None

    @property
    def url(self) -> str:
        assert self._socket is not None
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1)

    async def start(self) -> LiveServer:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit it: without it, Nagle and delayed ACKs add ~40 ms to
        # every answer written in two parts (headers, then body).
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind(("127.0.0.1", 0))
        config = uvicorn.Config(self.app, lifespan="on", log_level="warning")
        config.load()
        self._server = uvicorn.Server(config)
        self._server.lifespan = config.lifespan_class(config)
        # startup() returns once the lifespan has run and the socket is listening.
        await self._server.startup(sockets=[self._socket])
        if self._server.should_exit:
            raise RuntimeError("the server failed to start")
        return self

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown(sockets=[self._socket] if self._socket else None)
        if self._socket is not None:
            self._socket.close()
