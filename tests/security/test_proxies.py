"""Issue 10, 8: `X-Forwarded-For` is believed only from the proxies named in
TASKLOOM_TRUSTED_PROXIES (none by default), so a client cannot pick the address that the
per-address limits count, through a real `taskloom serve`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.support.processes import (
    free_port,
    query,
    run_taskloom,
    start_taskloom,
    taskloom_env,
    until_serving,
)

FORGED = "203.0.113.77"


@asynccontextmanager
async def serving(
    database_url: str, data_dir: Path, **env: str
) -> AsyncIterator[httpx.AsyncClient]:
    environment = taskloom_env(data_dir, database_url, TASKLOOM_EMBEDDER="wordllama", **env)
    migrated = await run_taskloom(environment, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    process = await start_taskloom(
        environment, "serve", "--port", str(port), "--log-level", "warning"
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await until_serving(client)
            yield client
    finally:
        process.terminate()
        await process.wait()


async def _counted_addresses(database_url: str) -> set[str]:
    rows = await query(database_url, "SELECT key FROM login_throttles WHERE key LIKE 'ip:%'")
    return {row[0].removeprefix("ip:") for row in rows}


async def _failed_login(client: httpx.AsyncClient, forwarded_for: str) -> int:
    response = await client.post(
        "/auth/login",
        json={"username": "nobody-here", "password": "wrong password"},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


async def test_a_forged_forwarded_for_from_loopback_is_ignored_by_default(
    fresh_database_url, tmp_path
):
    async with serving(fresh_database_url, tmp_path / "data") as client:
        assert await _failed_login(client, FORGED) == 401
        assert await _counted_addresses(fresh_database_url) == {"127.0.0.1"}


async def test_forwarded_for_is_believed_from_a_trusted_proxy(fresh_database_url, tmp_path):
    trusted = {"TASKLOOM_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1"}
    async with serving(fresh_database_url, tmp_path / "data", **trusted) as client:
        assert await _failed_login(client, FORGED) == 401
        assert await _counted_addresses(fresh_database_url) == {FORGED}


async def test_a_proxy_that_is_not_named_is_not_believed(fresh_database_url, tmp_path):
    trusted = {"TASKLOOM_TRUSTED_PROXIES": "10.0.0.0/8"}
    async with serving(fresh_database_url, tmp_path / "data", **trusted) as client:
        assert await _failed_login(client, FORGED) == 401
        assert await _counted_addresses(fresh_database_url) == {"127.0.0.1"}
