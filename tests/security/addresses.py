"""Clients of the running app that connect from chosen addresses, as different machines would
(the ASGI scope's client, which is what the throttles count)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.types import ASGIApp


@asynccontextmanager
async def client_from(app: ASGIApp, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """`app` must already be running (the live server's, whose lifespan has started)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://taskloom") as http:
        yield http
