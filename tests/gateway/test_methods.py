"""Every path answers a wrong method with 405 and an `Allow` header naming all of its methods;
HEAD is answered wherever GET is, as GET would be, without a body."""

from __future__ import annotations

import re

from gateway.rest.table import ROUTES
from tests.support.api import register

PATHS = {route.path for route in ROUTES}


def methods_of(path: str) -> set[str]:
    methods = {route.method for route in ROUTES if route.path == path}
    return methods | {"HEAD"} if "GET" in methods else methods


def concrete(path: str) -> str:
    return re.sub(r"\{\w+\}", "1", path)


async def test_a_wrong_method_is_answered_with_every_method_of_the_path(client):
    for path in PATHS:
        response = await client.request("TRACE", concrete(path))
        assert response.status_code == 405, path
        assert response.json()["error"] == "METHOD_NOT_ALLOWED"
        allowed = {method.strip() for method in response.headers["allow"].split(",")}
        assert allowed == methods_of(path), path


async def test_paths_shared_by_several_methods_list_them_all(client):
    # The answers that were wrong: one route per method made each list only its own.
    cases = {"/api/tasks": {"POST"}, "/users/me": {"PATCH"}, "/api/documents/1": {"DELETE"}}
    for path, expected in cases.items():
        response = await client.options(path)
        assert response.status_code == 405
        assert expected <= set(response.headers["allow"].replace(" ", "").split(","))


async def test_head_answers_as_get_without_a_body(client):
    user = await register(client)
    created = await client.post("/api/tasks", json={"message": "Head"}, headers=user["headers"])
    task_id = created.json()["id"]
    for path in ("/users/me", "/api/tasks", f"/api/tasks/{task_id}", f"/api/tasks/{task_id}/steps"):
        get = await client.get(path, headers=user["headers"])
        head = await client.head(path, headers=user["headers"])
        assert (head.status_code, get.status_code) == (200, 200), path
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["content-length"] == get.headers["content-length"]


async def test_head_without_a_token_is_refused_like_get(client):
    head = await client.head("/users/me")
    assert head.status_code == 401
    assert head.content == b""
