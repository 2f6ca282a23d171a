"""Attack 7 of issue 10: WebSockets are bounded. One client address holds at most its share of
sockets and the process at most its total (the rest are closed at once with 1013, "try again
later", and nothing logged at ERROR); a socket that never sends `connection_init` is closed
(4408); a message over its size cap is closed with 4400 before it is parsed."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import pytest
import websockets
from starlette.routing import WebSocketRoute

from gateway.app import create_app
from gateway.graphql_view import GraphQLView
from gateway.services import build_services
from gateway.websocket_limits import TRY_AGAIN_LATER
from infra.settings.environment import settings_from_env
from infra.settings.values import WebSocketLimits
from tests.conftest import TEST_SECRET, make_settings
from tests.support.api import register
from tests.support.live_server import LiveServer
from tests.support.logs import logged_errors
from tests.support.subscriptions import Handshake, initialise

Serve = Callable[..., Awaitable[tuple[LiveServer, GraphQLView]]]


@pytest.fixture
async def serve_with(server: LiveServer, settings) -> AsyncIterator[Serve]:
    """Serves another app over the session's database with these WebSocket limits; returns it
    with its GraphQL view, whose slot count shows when the server has let a socket go."""
    started: list[LiveServer] = []

    async def start(**limits: int) -> tuple[LiveServer, GraphQLView]:
        other = make_settings(
            settings.data_dir, settings.database_url, websockets=WebSocketLimits(**limits)
        )
        app = create_app(other, build_services(other), connect_database=False)
        live = await LiveServer(app).start()
        started.append(live)
        view = next(r.endpoint for r in app.routes if isinstance(r, WebSocketRoute))
        assert isinstance(view, GraphQLView)
        return live, view

    yield start
    for live in started:
        await live.stop()


async def handshakes(stack: AsyncExitStack, ws_url: str, sources: list[str]) -> list[Handshake]:
    """Opens one socket per source address, all at once; the stack closes the acknowledged."""
    results = await asyncio.gather(*(initialise(ws_url, source=source) for source in sources))
    for result in results:
        if result.socket is not None:
            stack.push_async_callback(result.socket.close)
    return list(results)


async def until_released(view: GraphQLView) -> None:
    """The server lets a socket go a moment after the client's close returns; nothing signals
    it but the count itself."""
    async with asyncio.timeout(10):
        while view.websocket_slots.total:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def outcomes(results: list[Handshake]) -> Counter[object]:
    return Counter(("ack" if r.socket else r.status or r.close_code) for r in results)


async def test_one_address_holds_at_most_its_share_of_websockets(serve_with, caplog):
    """The attack: 300 anonymous sockets from one address were all accepted. With the default
    share (20), the rest are closed at once, another address still gets in, and a share comes
    back once its sockets close."""
    live, view = await serve_with()
    share = WebSocketLimits().max_per_address
    async with AsyncExitStack() as stack:
        with logged_errors(caplog) as errors:
            results = await handshakes(stack, live.ws_url, ["127.0.0.1"] * 300)
        assert outcomes(results) == {"ack": share, TRY_AGAIN_LATER: 300 - share}
        assert errors() == []
        others = await handshakes(stack, live.ws_url, ["127.0.0.2"] * 3)
        assert outcomes(others) == {"ack": 3}
    await until_released(view)
    async with AsyncExitStack() as stack:
        again = await handshakes(stack, live.ws_url, ["127.0.0.1"] * share)
        assert outcomes(again) == {"ack": share}


async def test_the_process_holds_at_most_its_total_of_websockets(serve_with):
    live, view = await serve_with(max_connections=5, max_per_address=100)
    async with AsyncExitStack() as stack:
        results = await handshakes(stack, live.ws_url, ["127.0.0.1"] * 4 + ["127.0.0.2"] * 4)
        assert outcomes(results) == {"ack": 5, TRY_AGAIN_LATER: 3}
    await until_released(view)
    assert view.websocket_slots.by_address == {}


async def test_a_refused_socket_is_told_which_limit_it_met(serve_with):
    live, _ = await serve_with(max_per_address=1)
    async with AsyncExitStack() as stack:
        await handshakes(stack, live.ws_url, ["127.0.0.1"])
        async with websockets.connect(
            live.ws_url + "/graphql", subprotocols=["graphql-transport-ws"]
        ) as refused:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(refused.recv(), 30)
    assert refused.close_code == TRY_AGAIN_LATER
    assert refused.close_reason == "At most 1 WebSockets per client address"


async def test_a_socket_that_never_initialises_is_closed_and_let_go(serve_with):
    live, view = await serve_with(init_timeout_seconds=1)
    async with websockets.connect(
        live.ws_url + "/graphql", subprotocols=["graphql-transport-ws"]
    ) as socket:
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 30)
    assert socket.close_code == 4408
    await until_released(view)


def test_the_limits_are_settings_with_safe_defaults(tmp_path):
    base = {"TASKLOOM_DATA_DIR": str(tmp_path), "TASKLOOM_JWT_SECRET": TEST_SECRET}
    assert settings_from_env(base).websockets == WebSocketLimits(
        max_connections=1000, max_per_address=20, init_timeout_seconds=10
    )
    chosen = settings_from_env(
        base
        | {
            "TASKLOOM_MAX_WEBSOCKETS": "50",
            "TASKLOOM_MAX_WEBSOCKETS_PER_ADDRESS": "5",
            "TASKLOOM_WEBSOCKET_INIT_TIMEOUT": "3",
        }
    )
    assert chosen.websockets == WebSocketLimits(
        max_connections=50, max_per_address=5, init_timeout_seconds=3
    )


@pytest.mark.parametrize(
    ("size", "outcome"),
    [(10 * 1024 * 1024, 4400), (WebSocketLimits().max_init_bytes + 1, 4400), (32 * 1024, "ack")],
    ids=["10 MB", "just over the cap", "32 KB"],
)
async def test_a_connection_init_over_its_cap_is_closed_with_4400(server, size, outcome):
    # Without compression, so that the bytes really travel (a repeated letter deflates to
    # nothing, and the server would still inflate it).
    padding = "x" * (size - len('{"type":"connection_init","payload":{"pad":""}}'))
    result = await initialise(server.ws_url, {"pad": padding}, compression=None)
    if result.socket is not None:
        await result.socket.close()
    assert ("ack" if result.socket else result.close_code) == outcome


async def test_a_ping_first_does_not_lift_the_connection_init_cap(server):
    async with websockets.connect(
        server.ws_url + "/graphql", subprotocols=["graphql-transport-ws"], compression=None
    ) as socket:
        await socket.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(socket.recv(), 30)) == {"type": "pong"}
        padding = "x" * WebSocketLimits().max_init_bytes
        await socket.send(json.dumps({"type": "connection_init", "payload": {"pad": padding}}))
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 30)
    assert socket.close_code == 4400


async def test_a_message_over_the_json_limit_is_closed_with_4400(client, server, settings):
    user = await register(client)
    result = await initialise(
        server.ws_url, {"Authorization": f"Bearer {user['token']}"}, compression=None
    )
    assert result.socket is not None
    async with result.socket as socket:
        query = "{ __typename }" + " " * settings.max_json_bytes
        subscribe = {"id": "1", "type": "subscribe", "payload": {"query": query}}
        await socket.send(json.dumps(subscribe))
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 30)
    assert socket.close_code == 4400
    assert "larger than" in (socket.close_reason or "")
