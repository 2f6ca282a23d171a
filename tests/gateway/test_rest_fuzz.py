"""Random JSON bodies at every REST route that reads one: the answer is always a documented
status with a JSON error body, never a 500 and never a trace."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.rest.table import ROUTES, Body
from tests.support.api import register

DOCUMENTED = {200, 201, 204, 400, 401, 403, 404, 409, 413, 415, 422, 429}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    ["username", "name", "email", "password", "inviteCode", "message", "currentPassword",
     "newPassword", "title", "extra", ""]
)  # fmt: skip
bodies = st.dictionaries(field_names, json_values, max_size=6) | json_values


def _bodies(count: int) -> list[Any]:
    drawn: list[Any] = []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(bodies)
    def collect(body: Any) -> None:
        drawn.append(body)

    collect()
    return drawn


async def test_random_bodies_get_documented_answers(client):
    user = await register(client)
    task = await client.post("/api/tasks", json={"message": "fuzz"}, headers=user["headers"])
    task_id = task.json()["id"]
    failures = []
    for route in ROUTES:
        if route.body is Body.NONE:
            continue
        path = route.path.replace("{taskId}", task_id)
        for body in _bodies(40):
            response = await client.request(
                route.method, path, content=json.dumps(body), headers=user["headers"]
            )
            answer = response.json() if response.content else {}
            if response.status_code not in DOCUMENTED or "Traceback" in response.text:
                failures.append((route.path, body, response.status_code, response.text[:200]))
            elif response.status_code >= 400 and set(answer) - {"error", "message", "fields"}:
                failures.append((route.path, body, "error body", answer))
    assert not failures, failures[:5]
