"""Running `taskloom` in child processes, and reading their database from the outside."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from tests.conftest import TEST_SECRET


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str


def taskloom_env(data_dir: object, database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "TASKLOOM_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "TASKLOOM_JWT_SECRET": TEST_SECRET,
        "TASKLOOM_BCRYPT_ROUNDS": "4",
        **extra,
    }


async def start_taskloom(env: dict[str, str], *arguments: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway.cli", *arguments,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )  # fmt: skip


async def run_taskloom(
    env: dict[str, str], *arguments: str, stdin: str = "", timeout: float = 120
) -> Finished:
    process = await start_taskloom(env, *arguments)
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout)
    return Finished(process.returncode or 0, out.decode(), err.decode())


async def query(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of `sql` (use $1-free, dialect-neutral SQL), read with a connection of our own."""
    if database_url.startswith("sqlite://"):
        with sqlite3.connect(database_url.removeprefix("sqlite://")) as connection:
            return connection.execute(sql).fetchall()
    connection = await asyncpg.connect(database_url)
    try:
        return [tuple(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    """Waits for a condition another process brings about, checking it every 50 ms."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the condition did not come about in time")
        await asyncio.sleep(0.05)


async def migrated_with_user(env: dict[str, str], username: str) -> None:
    """Migrates the environment's database and creates `username` (password: "<name> password")."""
    migrated = await run_taskloom(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    created = await run_taskloom(
        env, "createuser", username, "--email", f"{username}@example.org", "--password-stdin",
        stdin=f"{username} password\n",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def until_serving(client: httpx.AsyncClient) -> None:
    """Until a server started in a child process answers `/healthz`."""
    for _ in range(400):
        try:
            await client.get("/healthz")
            return
        except httpx.TransportError:
            await asyncio.sleep(0.05)  # the child is still starting: retry the connection
    raise AssertionError("the server did not start")
