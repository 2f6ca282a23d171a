"""With its database down, the process stays up, says it is not ready, and answers 503."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx

from infra.security.tokens import issue_token
from tests.support.processes import free_port, until_serving

UNAVAILABLE = {
    "error": "UNAVAILABLE",
    "message": "A backend is unavailable; nothing was lost, try again later",
}


def _token(data_dir: Path) -> str:
    """A token the server will verify: signed with the secret it generated in its data folder."""
    return issue_token((data_dir / "jwt_secret").read_text().strip(), 1, 0, ttl_seconds=60)


async def test_a_database_that_is_down_is_503_and_the_process_stays_up(tmp_path):
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway.cli",
        "serve",
        "--port",
        str(port),
        "--log-level",
        "error",
        env={
            **os.environ,
            "TASKLOOM_DATA_DIR": str(tmp_path),
            # Nothing listens on port 1: every query fails to connect.
            "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nothing",
        },
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await until_serving(client)
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["error"] == "UNAVAILABLE"
            login = await client.post("/auth/login", json={"username": "abc", "password": "x" * 8})
            assert login.status_code == 503
            assert login.json() == UNAVAILABLE
            # A signed-in REST request takes the GraphQL path: 503, as GraphQL answers.
            auth = {"Authorization": f"Bearer {_token(tmp_path)}"}
            me = await client.get("/users/me", headers=auth)
            assert (me.status_code, me.json()) == (503, UNAVAILABLE)
            update = await client.patch("/users/me", json={"name": "x"}, headers=auth)
            assert (update.status_code, update.json()) == (503, UNAVAILABLE)
            graphql = await client.post("/graphql", json={"query": "{ me { id } }"}, headers=auth)
            assert graphql.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    finally:
        process.terminate()
        _, stderr = await process.communicate()
    assert b"backend unavailable" in stderr
    assert b"Traceback" not in stderr
