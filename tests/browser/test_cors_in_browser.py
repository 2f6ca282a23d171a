"""A browser enforcing CORS: a page from an allowed origin (a Vite dev server, say) calls the API
the way Apollo Client's HttpLink and graphql-ws do and gets answers; a page from another origin
is refused by the browser, on HTTP and on the WebSocket alike."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.browser.chromium import Browser
from tests.support.api import register
from tests.support.live_server import LiveServer

PAGE = "<!doctype html><title>another origin</title><p>a page of another origin</p>"

# What Apollo's HttpLink sends: a JSON POST with the token, which needs a preflight.
FETCH = """
fetch(%(url)s + "/graphql", {
  method: "POST",
  headers: {"content-type": "application/json", "authorization": %(auth)s},
  body: JSON.stringify({query: "{ me { username } }"}),
}).then(r => r.json()).then(body => body.data.me.username, error => "refused: " + error.name)
"""

# graphql-ws's handshake: acknowledged, or the browser reports the socket failed.
SOCKET = """
new Promise(resolve => {
  const socket = new WebSocket(%(url)s + "/graphql", "graphql-transport-ws");
  socket.onopen = () => socket.send(JSON.stringify({type: "connection_init", payload: {}}));
  socket.onmessage = event => { resolve(JSON.parse(event.data).type); socket.close(); };
  socket.onerror = () => resolve("refused");
})
"""


@pytest.fixture
async def page_servers() -> AsyncIterator[tuple[LiveServer, LiveServer]]:
    app = Starlette(routes=[Route("/", lambda request: HTMLResponse(PAGE))])
    allowed, other = await LiveServer(app).start(), await LiveServer(app).start()
    yield allowed, other
    await allowed.stop()
    await other.stop()


async def test_an_allowed_origin_is_answered_and_another_refused(
    browser: Browser, client, app_with, page_servers
):
    allowed, other = page_servers
    user = await register(client)
    api = await app_with(cors_origins=(allowed.url,))
    api_url = str(api.base_url).rstrip("/")
    arguments = {
        "url": json.dumps(api_url),
        "auth": json.dumps(f"Bearer {user['token']}"),
    }
    sockets = {"url": json.dumps(api_url.replace("http://", "ws://"))}
    page = await browser.new_page()

    await page.goto(allowed.url + "/")
    assert await page.evaluate(FETCH % arguments) == user["account"]["username"]
    assert await page.evaluate(SOCKET % sockets) == "connection_ack"

    await page.goto(other.url + "/")
    assert await page.evaluate(FETCH % arguments) == "refused: TypeError"
    assert await page.evaluate(SOCKET % sockets) == "refused"
    await api.aclose()
