"""Generated GraphQL documents, valid and invalid, against the real app over HTTP: whatever a
client sends, the answer is a GraphQL response with coded errors, never an internal error."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import Mode, from_schema

from schema.export import SCHEMA_FILE
from tests.support.api import register

EXPECTED_CODES = {
    "BAD_REQUEST", "VALIDATION_FAILED", "NOT_FOUND", "FORBIDDEN", "CONFLICT", "UNAUTHENTICATED",
    "RATE_LIMITED",
}  # fmt: skip
# Uploads need multipart bodies, and a password change would revoke the token mid-run.
MUTATIONS = ["updateMe", "createInvite", "createTask", "stepTask", "deleteDocument", "login"]
QUERIES = [
    "me",
    "node",
    "task",
    "tasks",
    "taskDocument",
    "document",
    "documents",
    "chunk",
    "search",
]


def generated_documents(mode: Mode, examples: int, fields: list[str] | None = None) -> list[str]:
    sdl = SCHEMA_FILE.read_text()
    strategy = from_schema(sdl, fields=fields or [*QUERIES, *MUTATIONS], mode=mode)
    documents: list[str] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(document: Any) -> None:
        documents.append(str(document))

    collect()
    return documents


@pytest.mark.parametrize(("mode", "examples"), [(Mode.POSITIVE, 150), (Mode.NEGATIVE, 100)])
async def test_no_generated_document_causes_an_internal_error(client, mode, examples):
    user = await register(client)
    failures = []
    for document in generated_documents(mode, examples):
        response = await client.post("/graphql", json={"query": document}, headers=user["headers"])
        if response.status_code != 200 or "Traceback" in response.text:
            failures.append((document, response.status_code, response.text[:300]))
            continue
        for error in response.json().get("errors") or []:
            code = (error.get("extensions") or {}).get("code")
            if code not in EXPECTED_CODES:
                failures.append((document, code, error.get("message")))
    assert not failures, failures[:5]
