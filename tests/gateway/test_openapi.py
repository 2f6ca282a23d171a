"""The OpenAPI document served at /openapi.json: valid OpenAPI 3.1, every route of the table
with its method, and the shapes the contract names."""

from __future__ import annotations

from typing import Any

import httpx
from openapi_spec_validator import validate

from gateway.rest.table import ROUTES


async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get("/openapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    body: dict[str, Any] = answer.json()
    return body


def json_schema(operation: dict[str, Any], status: str) -> dict[str, Any]:
    schema: dict[str, Any] = operation["responses"][status]["content"]["application/json"]
    return schema["schema"]


async def test_the_document_is_valid_openapi_31_with_every_route(client):
    spec = await document(client)
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    listed = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    assert listed == {(route.method, route.path) for route in ROUTES}
    assert spec["servers"] == [{"url": "/"}]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


async def test_public_routes_need_no_token_and_the_others_answer_401(client):
    spec = await document(client)
    for route in ROUTES:
        operation = spec["paths"][route.path][route.method.lower()]
        if route.public:
            assert operation["security"] == [], route.path
        else:
            assert operation["security"] == [{"bearerAuth": []}], route.path
            assert "401" in operation["responses"], route.path
        assert "503" in operation["responses"], route.path


async def test_register_body_has_the_input_types_fields(client):
    operation = (await document(client))["paths"]["/auth/register"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert operation["requestBody"]["required"] is True
    assert body["required"] == ["username", "name", "email", "password"]
    assert body["additionalProperties"] is False
    assert body["properties"]["inviteCode"]["type"] == ["string", "null"]
    assert set(operation["responses"]) == {"201", "400", "403", "409", "413", "422", "429", "503"}
    answer = json_schema(operation, "201")
    assert answer["required"] == ["token", "user"]
    assert answer["properties"]["user"]["required"] == ["id", "username", "name", "email"]


async def test_upload_is_multipart_with_required_title_and_description(client):
    operation = (await document(client))["paths"]["/api/documents"]["post"]
    form = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file"]
    assert form["properties"]["file"]["format"] == "binary"
    query = {p["name"]: p["required"] for p in operation["parameters"] if p["in"] == "query"}
    assert query == {"title": True, "description": True}
    assert {"201", "413", "415", "422"} <= set(operation["responses"])


async def test_answers_are_the_selected_fields(client):
    paths = (await document(client))["paths"]
    chunk = json_schema(paths["/api/chunks/{chunkId}"]["get"], "200")
    assert chunk["required"] == [
        "id",
        "documentId",
        "documentTitle",
        "documentDescription",
        "content",
    ]
    assert chunk["additionalProperties"] is False
    chunks = json_schema(paths["/api/documents/{documentId}/chunks"]["get"], "200")
    assert chunks["type"] == "array"
    assert chunks["items"]["required"] == chunk["required"]
    task = json_schema(paths["/api/tasks/{taskId}"]["get"], "200")
    assert task["properties"]["completed"]["type"] == ["string", "null"]
    assert task["properties"]["created"] == {**task["properties"]["created"], "format": "date-time"}
    status = json_schema(paths["/api/documents/{documentId}"]["get"], "200")["properties"]["status"]
    assert "READY" in status["enum"]


async def test_delete_is_204_without_a_body_and_the_download_is_any_bytes(client):
    paths = (await document(client))["paths"]
    deleted = paths["/api/documents/{documentId}"]["delete"]["responses"]["204"]
    assert "content" not in deleted
    download = paths["/api/tasks/{taskId}/documents/{documentId}"]["get"]["responses"]["200"]
    assert download["content"] == {"*/*": {}}
    step = paths["/api/tasks/{taskId}"]["post"]
    assert step["requestBody"]["required"] is False  # an empty body steps without a message
    assert "409" in step["responses"]


async def test_docs_are_served_only_with_introspection_but_the_document_always(client, app_with):
    assert (await client.get("/docs", headers={"accept": "text/html"})).status_code in {200, 503}
    assert (await client.get("/redoc")).status_code == 404
    closed = await app_with(introspection=False)
    async with closed:
        assert (await closed.get("/docs")).status_code == 404
        assert (await closed.get("/docs/static/swagger-ui-bundle-5.36.0.js")).status_code == 404
        served = await closed.get("/openapi.json")
        assert served.status_code == 200
        assert served.json() == await document(client)
