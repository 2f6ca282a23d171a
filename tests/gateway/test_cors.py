"""Cross-origin requests over HTTP and WebSocket: refused by default, answered for the origins
TASKLOOM_CORS_ORIGINS lists (exactly or by pattern), the same list guarding the WebSocket.
The browser's own enforcement is tested in tests/browser/test_cors_in_browser.py."""

from __future__ import annotations

import pytest

from infra.settings.environment import SettingsError, settings_from_env
from tests.support.api import register
from tests.support.subscriptions import initialise

ORIGINS = ("http://localhost:5173", "https://*.example.com", "http://127.0.0.1:*")
ME = {"query": "{ me { id } }"}


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, apollo-require-preflight",
    }


async def test_by_default_no_origin_is_answered(client):
    refused = await client.options("/graphql", headers=preflight("http://localhost:5173"))
    assert refused.status_code == 405
    assert "access-control-allow-origin" not in refused.headers
    plain = await client.post("/graphql", json=ME, headers={"Origin": "http://localhost:5173"})
    assert "access-control-allow-origin" not in plain.headers


@pytest.mark.parametrize(
    "origin", ["http://localhost:5173", "https://app.example.com", "https://a.b.example.com"]
)
async def test_a_listed_origin_gets_its_preflight_and_its_answer(app_with, client, origin):
    user = await register(client)
    async with await app_with(cors_origins=ORIGINS) as api:
        answered = await api.options("/graphql", headers=preflight(origin))
        assert answered.status_code == 200
        assert answered.headers["access-control-allow-origin"] == origin
        assert "POST" in answered.headers["access-control-allow-methods"]
        allowed_headers = answered.headers["access-control-allow-headers"].lower()
        assert {"authorization", "content-type", "apollo-require-preflight"} <= {
            name.strip() for name in allowed_headers.split(",")
        }
        call = await api.post("/graphql", json=ME, headers={**user["headers"], "Origin": origin})
        assert call.json()["data"]["me"]["id"]
        assert call.headers["access-control-allow-origin"] == origin
        assert "retry-after" in call.headers["access-control-expose-headers"].lower()
        rest = await api.get("/users/me", headers={**user["headers"], "Origin": origin})
        assert rest.headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:5174",  # another port
        "https://localhost:5173",  # another scheme
        "https://example.com",  # the pattern wants a subdomain
        "https://app.example.com.evil.org",  # suffix of a listed name, then another domain
        "https://evilexample.com",
        "null",  # a sandboxed frame or a file:// page
    ],
)
async def test_other_origins_are_refused(app_with, origin):
    async with await app_with(cors_origins=ORIGINS) as api:
        refused = await api.options("/graphql", headers=preflight(origin))
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        plain = await api.post("/graphql", json=ME, headers={"Origin": origin})
        assert "access-control-allow-origin" not in plain.headers


async def test_a_star_allows_any_origin_without_credentials(app_with):
    async with await app_with(cors_origins=("*",)) as api:
        answered = await api.options("/graphql", headers=preflight("https://anywhere.test"))
        assert answered.status_code == 200
        assert "access-control-allow-credentials" not in answered.headers


async def test_the_websocket_refuses_pages_of_other_origins(server, app_with):
    async with await app_with(cors_origins=ORIGINS) as api:
        ws_url = str(api.base_url).replace("http://", "ws://").rstrip("/")
        for origin in ("http://localhost:5173", "https://app.example.com"):
            allowed = await initialise(ws_url, origin=origin)
            assert allowed.socket is not None, origin
            await allowed.socket.close()
        refused = await initialise(ws_url, origin="https://evil.org")
        assert refused.status == 403
    # With no list, only the server's own pages and clients that send no Origin get in.
    own_origin = server.url
    own = await initialise(server.ws_url, origin=own_origin)
    assert own.socket is not None
    await own.socket.close()
    no_origin = await initialise(server.ws_url)
    assert no_origin.socket is not None
    await no_origin.socket.close()
    assert (await initialise(server.ws_url, origin="http://localhost:5173")).status == 403


@pytest.mark.parametrize(
    "value",
    [
        "localhost:5173",  # no scheme
        "https://app.example.com/path",
        "ftp://files.example.com",
        "https://app.example.com:port",
        "HTTPS://APP.EXAMPLE.COM",
        "https://exa mple.com",
    ],
)
def test_invalid_origins_are_refused_at_start(tmp_path, value):
    with pytest.raises(SettingsError, match="TASKLOOM_CORS_ORIGINS"):
        settings_from_env({"TASKLOOM_DATA_DIR": str(tmp_path), "TASKLOOM_CORS_ORIGINS": value})


def test_origins_are_read_as_a_list(tmp_path):
    settings = settings_from_env(
        {
            "TASKLOOM_DATA_DIR": str(tmp_path),
            "TASKLOOM_CORS_ORIGINS": " http://localhost:5173/ , https://*.example.com",
        }
    )
    assert settings.cors_origins == ("http://localhost:5173", "https://*.example.com")
