"""Two server processes on one database: steps written by both at once all succeed (on SQLite,
two writers of one file), and a subscriber on one hears of what the other records, at once on
PostgreSQL (LISTEN/NOTIFY), within a second on SQLite (the data_version watcher)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.support.api import register
from tests.support.processes import (
    free_port,
    run_taskloom,
    start_taskloom,
    taskloom_env,
    until_serving,
)
from tests.support.subscriptions import subscription, until_ingested


async def _serve(env, port: int) -> asyncio.subprocess.Process:
    return await start_taskloom(env, "serve", "--port", str(port), "--log-level", "warning")


@asynccontextmanager
async def two_replicas(database_url: str, data_dir: Path) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Two `taskloom serve` processes on one database and data folder."""
    env = taskloom_env(data_dir, database_url, TASKLOOM_EMBEDDER="wordllama")
    assert (await run_taskloom(env, "migrate")).returncode == 0
    ports = [free_port(), free_port()]
    replicas = [await _serve(env, port) for port in ports]
    try:
        one, two = (httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}", timeout=30) for p in ports)
        async with one, two:
            for client in (one, two):
                await until_serving(client)
            yield [one, two]
    finally:
        for replica in replicas:
            replica.terminate()
            await replica.wait()


async def test_steps_written_at_once_by_two_replicas_all_succeed(fresh_database_url, tmp_path):
    """Many tasks stepped at once through two processes (on SQLite, two writers of one file):
    every step is recorded, none fails on a busy database, and each task's steps stay dense."""
    async with two_replicas(fresh_database_url, tmp_path / "data") as clients:
        user = await register(clients[0])
        tasks = [
            (await clients[0].post(
                "/api/tasks", json={"message": f"What is item {n}?"}, headers=user["headers"]
            )).json()["id"]
            for n in range(12)
        ]  # fmt: skip

        async def step_repeatedly(n: int, task: str) -> list[int]:
            client = clients[n % 2]
            answers = [
                await client.post(f"/api/tasks/{task}", json={"message": f"go {k}"},
                                  headers=user["headers"])
                for k in range(6)
            ]  # fmt: skip
            return [answer.status_code for answer in answers]

        statuses = await asyncio.gather(*(step_repeatedly(n, t) for n, t in enumerate(tasks)))
        assert all(status == 200 for task in statuses for status in task), statuses
        for task in tasks:
            steps = await clients[1].get(f"/api/tasks/{task}/steps", headers=user["headers"])
            assert [step["index"] for step in steps.json()] == list(range(6))


async def test_a_subscriber_on_one_replica_hears_the_other(fresh_database_url, tmp_path):
    # The first wait is shorter than the subscriptions' 15-second safety poll: only the watcher
    # or LISTEN/NOTIFY can pass it.
    async with two_replicas(fresh_database_url, tmp_path / "data") as (one, two):
        user = await register(one)
        task = (
            await one.post(
                "/api/tasks", json={"message": "Which ships passed?"}, headers=user["headers"]
            )
        ).json()
        query = "subscription($id: ID!) { taskSteps(taskId: $id) { index } }"
        async with subscription(
            str(one.base_url).replace("http", "ws", 1).rstrip("/"),
            user["token"],
            query,
            {"id": task["id"]},
        ) as steps:
            stepped = await two.post(f"/api/tasks/{task['id']}", headers=user["headers"])
            assert stepped.status_code == 200
            first = await asyncio.wait_for(anext(steps), 10)
        assert first["data"]["taskSteps"]["index"] == 0

        uploaded = await two.post(
            "/api/documents", params={"title": "Log", "description": "ships"},
            files={"file": ("log.txt", b"The Aurora passed at dawn.", "text/plain")},
            headers=user["headers"],
        )  # fmt: skip
        ws_one = str(one.base_url).replace("http", "ws", 1).rstrip("/")
        final = await asyncio.wait_for(
            until_ingested(ws_one, user["token"], uploaded.json()["id"]), 60
        )
        assert final["status"] == "READY"
