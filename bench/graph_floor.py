"""The floor of bench/graph.py: the nested read (a user's first 100 tasks, their first 20 steps,
each step's workspace files) hand-written on asyncpg and orjson, as the same JSON Taskloom sends.

Three queries (tasks; steps through one windowed query; step documents), no GraphQL, no ORM.
Served by uvicorn: GRAPH_FLOOR_DATABASE_URL names the database, GRAPH_FLOOR_OWNER the user id.
"""

from __future__ import annotations

import base64
import os
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

TASKS = "SELECT id, title FROM tasks WHERE owner_id = $1 ORDER BY id DESC LIMIT $2"
STEPS = """
SELECT id, task_id, index, input, action->>'name' AS action_name FROM (
  SELECT id, task_id, index, input, action,
         ROW_NUMBER() OVER (PARTITION BY task_id ORDER BY index) AS row_number
  FROM steps WHERE task_id = ANY($1::int[])
) AS ranked WHERE row_number <= $2 ORDER BY task_id, index
"""
DOCUMENTS = """
SELECT link.step_id, document.id, document.filename
FROM step_documents AS link JOIN task_documents AS document ON document.id = link.document_id
WHERE link.step_id = ANY($1::int[]) ORDER BY link.id
"""


def global_id(type_name: str, pk: int) -> str:
    """Taskloom's id encoding (resolvers/ids.py), so the bytes sent are the same."""
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


async def nested_read(pool: asyncpg.Pool, owner: int, tasks: int, steps: int) -> bytes:
    async with pool.acquire() as connection:
        task_rows = await connection.fetch(TASKS, owner, tasks)
        task_ids = [row["id"] for row in task_rows]
        step_rows = await connection.fetch(STEPS, task_ids, steps)
        documents: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for step_id, pk, filename in await connection.fetch(
            DOCUMENTS, [row["id"] for row in step_rows]
        ):
            documents[step_id].append({"id": global_id("TaskDocument", pk), "filename": filename})
    by_task: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for pk, task_id, index, step_input, action_name in step_rows:
        node = {
            "id": global_id("Step", pk),
            "index": index,
            "input": step_input,
            "action": {"name": action_name},
            "documents": documents.get(pk, []),
        }
        by_task[task_id].append({"node": node})
    edges = [
        {
            "node": {
                "id": global_id("Task", row["id"]),
                "title": row["title"],
                "steps": {"edges": by_task.get(row["id"], [])},
            }
        }
        for row in task_rows
    ]
    return orjson.dumps({"data": {"me": {"tasks": {"edges": edges}}}})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    pool = await asyncpg.create_pool(os.environ["GRAPH_FLOOR_DATABASE_URL"], min_size=1)
    app.state.pool = pool
    try:
        yield
    finally:
        await pool.close()


async def graphql(request: Request) -> Response:
    owner = int(os.environ["GRAPH_FLOOR_OWNER"])
    body = await nested_read(request.app.state.pool, owner, 100, 20)
    return Response(body, media_type="application/json")


async def ping(request: Request) -> Response:
    return Response(b"{}", media_type="application/json")


app = Starlette(
    routes=[Route("/graphql", graphql, methods=["POST"]), Route("/ping", ping)],
    lifespan=lifespan,
)
