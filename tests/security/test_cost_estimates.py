"""Attack 9 of issue 10: the cost limit estimates lists without page arguments (a step's
citations and files) from the bounds the service enforces: the agent engine records at most
MAX_CITATIONS_PER_STEP citations and MAX_FILES_PER_STEP files a step. So an estimate that admits
a read bounds what the read produces, a 10 x 50 dashboard read passes with room to spare, and a
huge aliased read is still refused."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import httpx
import pytest

from agent import (
    MAX_CITATIONS_PER_STEP,
    MAX_FILES_PER_STEP,
    Citation,
    Decision,
    TaskState,
    ToolContext,
    ToolRegistry,
    ToolResult,
    ToolSpec,
    tool,
)
from gateway.app import create_app
from gateway.services import build_services
from models import Chunk, IngestionStatus, KnowledgeDocument, StepDocument, TaskDocument, User
from models import Citation as CitationRow
from resolvers.context import AgentEngine
from resolvers.ids import decode_id, encode_id
from tests.support.api import error_codes, graphql, register
from tests.support.live_server import LiveServer

DASHBOARD = """{ me { tasks(first: 10) { edges { node { title steps(first: 50) { edges { node {
  index result { citations { score chunk { id documentTitle content } } }
  documents { id filename } } } } } } } } }"""
STEPS_READ = """{ me { tasks(first: 1) { edges { node { steps(first: 5) { edges { node {
  documents { id } result { citations { score chunk { id } } } } } } } } } } }"""


class CitesEverything:
    """A provider that always picks the one tool there is."""

    name = "cites-everything"

    async def decide(self, state: TaskState, tools: Sequence[ToolSpec]) -> Decision:
        return Decision(tools[0].name, {}, "to cite and read all it is given")


def overreaching_tools(chunk_ids: list[int], file_ids: list[str]) -> ToolRegistry:
    @tool(description="Cites every chunk and reads every file it was given.", properties={})
    async def overreach(ctx: ToolContext) -> ToolResult:
        return ToolResult(
            summary="Cited and read everything.",
            citations=tuple(Citation(chunk_id, 0.5) for chunk_id in chunk_ids),
            documents_read=tuple(file_ids),
        )

    return ToolRegistry([overreach])


Serve = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def serve(server: LiveServer, settings: Any) -> AsyncIterator[Serve]:
    """Another app on the session's database, with its own agent tools and cost limit."""
    started: list[LiveServer] = []

    async def start(tools: ToolRegistry | None = None, max_cost: int | None = None) -> Any:
        limits = settings.limits
        if max_cost is not None:
            limits = dataclasses.replace(limits, max_cost=max_cost)
        other = dataclasses.replace(settings, limits=limits)
        services = build_services(other)
        if tools is not None:
            services.agent = AgentEngine(CitesEverything(), tools)
        live = await LiveServer(create_app(other, services, connect_database=False)).start()
        started.append(live)
        return httpx.AsyncClient(base_url=live.url, timeout=30)

    yield start
    for live in started:
        await live.stop()


async def _task_with_material(http: httpx.AsyncClient, chunks: int, files: int) -> Any:
    """A user's task, `chunks` chunks of their knowledge base and `files` workspace files."""
    user = await register(http)
    owner = await User.get(username=user["user"]["username"])
    created = await http.post("/api/tasks", json={"message": "Cite"}, headers=user["headers"])
    task_id = created.json()["id"]
    decoded = decode_id(task_id)
    assert decoded is not None
    task_pk = decoded[1]
    document = await KnowledgeDocument.create(
        owner=owner, filename="notes.txt", title="Notes", description="", content_type="text/plain",
        size=1, sha256="0" * 64, status=IngestionStatus.READY, chunk_count=chunks,
    )  # fmt: skip
    chunk_ids = []
    for i in range(chunks):
        chunk = await Chunk.create(document=document, index=i, content=f"fact {i}", start=i, end=i)
        chunk_ids.append(chunk.id)
    file_ids = []
    for i in range(files):
        file = await TaskDocument.create(
            task_id=task_pk, filename=f"f{i}.txt", content_type="text/plain", size=1,
            sha256="0" * 64, text="x",
        )  # fmt: skip
        file_ids.append(encode_id("TaskDocument", file.id))
    return user, task_id, task_pk, chunk_ids, file_ids


def objects_in(value: Any) -> int:
    """The JSON objects an answer holds: what the cost limit bounds."""
    if isinstance(value, dict):
        return 1 + sum(objects_in(item) for item in value.values())
    if isinstance(value, list):
        return sum(objects_in(item) for item in value)
    return 0


async def test_the_engine_records_at_most_its_caps_whatever_a_tool_reports(client, serve):
    user, task_id, task_pk, chunk_ids, file_ids = await _task_with_material(client, 30, 4)
    async with await serve(overreaching_tools(chunk_ids, file_ids)) as http:
        step = await http.post(f"/api/tasks/{task_id}", json={}, headers=user["headers"])
    assert step.status_code == 200, step.text
    assert await CitationRow.filter(step__task_id=task_pk).count() == MAX_CITATIONS_PER_STEP
    assert await StepDocument.filter(step__task_id=task_pk).count() == MAX_FILES_PER_STEP


async def test_an_estimate_that_admits_a_read_bounds_what_it_produces(client, serve):
    user, task_id, _, chunk_ids, file_ids = await _task_with_material(
        client, MAX_CITATIONS_PER_STEP, MAX_FILES_PER_STEP
    )
    async with await serve(overreaching_tools(chunk_ids, file_ids)) as http:
        for _ in range(5):  # five steps, each with as many citations and files as a step keeps
            step = await http.post(f"/api/tasks/{task_id}", json={}, headers=user["headers"])
            assert step.status_code == 200, step.text
    full = await graphql(client, STEPS_READ, headers=user["headers"])
    produced = objects_in(full["data"])
    assert produced == 1 + 5 * (MAX_CITATIONS_PER_STEP * 2 + MAX_FILES_PER_STEP + 3) + 5
    for max_cost in (produced * 3 // 4, produced - 1, produced + 10, 1000):
        async with await serve(max_cost=max_cost) as http:
            result = await graphql(http, STEPS_READ, headers=user["headers"])
        if "errors" in result:
            assert error_codes(result) == ["BAD_REQUEST"]
            assert max_cost < produced + 10  # refused only when it may be too much
        else:
            assert objects_in(result["data"]) <= max_cost


async def test_a_dashboard_read_passes_with_room_to_spare(client, serve):
    user = await register(client)
    async with await serve(max_cost=100_000 // 3) as http:
        result = await graphql(http, DASHBOARD, headers=user["headers"])
    assert "errors" not in result, result


async def test_a_huge_aliased_read_is_still_refused(client):
    user = await register(client)
    page = "tasks(first: 100) { edges { node { steps(first: 100) { edges { node { result {"
    page += " citations { chunk { id content } } } documents { id } } } } } } }"
    aliased = "{ me { " + " ".join(f"a{i}: {page}" for i in range(20)) + " } }"
    result = await graphql(client, aliased, headers=user["headers"])
    assert error_codes(result) == ["BAD_REQUEST"]
    assert "objects, more than" in result["errors"][0]["message"]
