"""The REST layer as a whole: every route maps onto a valid operation, unknown routes answer
JSON, and nothing leaks a trace."""

from __future__ import annotations

from gateway.rest.documents import load_operations
from gateway.rest.table import ROUTES
from schema.build import build_schema
from schema.export import SCHEMA_FILE, sdl
from schema.graphql_core import graphql_core_schema


def test_every_rest_route_has_an_operation_that_validates_against_the_schema():
    schema = build_schema()
    operations = load_operations(graphql_core_schema(schema))  # raises on any invalid document
    for route in ROUTES:
        operation = operations[route.operation]
        assert operation.text.lstrip().startswith(("query", "mutation"))
        first_field = route.answer.split(".")[0]
        assert first_field in operation.text


def test_the_checked_in_schema_file_is_current():
    assert SCHEMA_FILE.read_text() == sdl()


async def test_unknown_routes_and_methods_answer_json(client):
    missing = await client.get("/no/such/route")
    assert missing.status_code == 404
    assert missing.json()["error"] == "NOT_FOUND"
    wrong_method = await client.delete("/users/me")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == "METHOD_NOT_ALLOWED"


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}
