"""Two server processes on one database: a subscriber on one hears of what the other records, at
once on PostgreSQL (LISTEN/NOTIFY), within a second on SQLite (the data_version watcher). The
first wait is shorter than the subscriptions' 15-second safety poll, so only those can pass it."""

from __future__ import annotations

import asyncio

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


async def test_a_subscriber_on_one_replica_hears_the_other(fresh_database_url, tmp_path):
    env = taskloom_env(tmp_path / "data", fresh_database_url, TASKLOOM_EMBEDDER="wordllama")
    assert (await run_taskloom(env, "migrate")).returncode == 0
    ports = [free_port(), free_port()]
    replicas = [await _serve(env, port) for port in ports]
    try:
        one, two = (httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}", timeout=30) for p in ports)
        async with one, two:
            for client in (one, two):
                await until_serving(client)
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
    finally:
        for replica in replicas:
            replica.terminate()
            await replica.wait()
