"""Schemathesis against the real app over HTTP: every operation of /openapi.json, positive and
negative cases from the coverage and fuzzing phases, every check, signed in as a user who owns
a task, a document and a task document (their ids go into half the positive cases, so that
answers with bodies are checked too, not only 404s).

The live server runs in the session's event loop; schemathesis' calls are blocking, so each runs
in a thread while that loop serves it (`serving`)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from gateway.rest.openapi import openapi_document
from schema.build import build_schema
from schema.graphql_core import graphql_core_schema
from tests.support.api import register

MAX_EXAMPLES = 15
# The document states the shapes; rules beyond them (a username's characters, an email's form)
# answer 422, and a kind of file that cannot be read 415, both documented where they happen.
POSITIVE_STATUSES = ["2xx", "401", "403", "404", "409", "415", "422", "429", "5xx"]

CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
        "phases": {"examples": {"enabled": False}, "stateful": {"enabled": False}},
        "checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES}},
    }
)
# The document the app serves (checked below), read at collection
# so that each operation is a test of its own.
DOCUMENT = openapi_document(graphql_core_schema(build_schema()))
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


@pytest.fixture
async def serving() -> Callable[..., Any]:
    loop = asyncio.get_running_loop()

    def run(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return loop.run_until_complete(asyncio.to_thread(call, *args, **kwargs))

    return run


@pytest.fixture
async def owned(client: httpx.AsyncClient) -> dict[str, Any]:
    user = await register(client)
    headers = user["headers"]
    task = await client.post(
        "/api/tasks", json={"message": "What is the reactor?"}, headers=headers
    )
    assert (
        await client.post(f"/api/tasks/{task.json()['id']}", headers=headers)
    ).status_code == 200
    document = await client.post(
        "/api/documents",
        params={"title": "Reactor", "description": "notes"},
        files={"file": ("notes.txt", b"The reactor runs on thorium.", "text/plain")},
        headers=headers,
    )
    upload = await client.post(
        f"/api/tasks/{task.json()['id']}/documents",
        files={"file": ("notes.md", b"# Notes\nthorium", "text/markdown")},
        headers=headers,
    )
    assert document.status_code == upload.status_code == 201, (document.text, upload.text)
    return {
        "headers": headers,
        "ids": {
            "taskId": task.json()["id"],
            "documentId": document.json()["id"],
            "chunkId": document.json()["id"],  # not a chunk: a 404 of the right shape
        },
        "task_document": upload.json()["id"],
    }


_turns = itertools.count()


@schema.parametrize()
# One user and their objects for all of an operation's cases, on purpose.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_route_answers_as_its_document_says(case, owned, serving, server):
    if case.path_parameters and case.meta.generation.mode.is_positive and next(_turns) % 2:
        ids = {**owned["ids"]}
        if "taskId" in case.path_parameters and "documentId" in case.path_parameters:
            ids["documentId"] = owned["task_document"]
        case.path_parameters.update(
            {name: ids[name] for name in case.path_parameters if name in ids}
        )
    serving(case.call_and_validate, base_url=server.url, headers=owned["headers"], timeout=30)


async def test_the_document_fuzzed_is_the_one_served(client: httpx.AsyncClient):
    assert (await client.get("/openapi.json")).json() == DOCUMENT
