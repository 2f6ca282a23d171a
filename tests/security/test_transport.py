"""Attack 6 of issue 10: requests that do not fit the transport (a subscription over plain HTTP,
a GraphQL multipart request whose `map` does not fit its `operations`) are coded client errors,
never INTERNAL, and leave no stack trace in the log."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gateway.graphql_multipart import MAX_FILES
from tests.support.api import error_codes
from tests.support.logs import logged_errors

SUBSCRIPTION = 'subscription { taskSteps(taskId: "VGFzazox") { index } }'
TYPENAME = "{ __typename }"


@pytest.fixture
def errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[str]]]:
    with logged_errors(caplog) as errors:
        yield errors


def assert_client_error(response: Any, errors_logged: Callable[[], list[str]]) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert error_codes(response.json()) == ["BAD_REQUEST"], response.text
    assert errors_logged() == []


async def test_a_subscription_over_post_is_a_client_error(client, errors_logged):
    response = await client.post("/graphql", json={"query": SUBSCRIPTION})
    assert_client_error(response, errors_logged)
    assert "WebSocket" in response.json()["errors"][0]["message"]


async def test_a_subscription_over_get_is_a_client_error(client, errors_logged):
    response = await client.get(
        "/graphql", params={"query": SUBSCRIPTION}, headers={"accept": "application/json"}
    )
    assert_client_error(response, errors_logged)


def multipart(
    operations: object,
    files_map: object,
    files: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The parts of a GraphQL multipart request; a str is sent as it is, anything else as JSON."""
    data = {
        "operations": operations if isinstance(operations, str) else json.dumps(operations),
        "map": files_map if isinstance(files_map, str) else json.dumps(files_map),
        **(fields or {}),
    }
    sent = {"0": ("a.txt", b"hello", "text/plain")} if files is None else files
    return {"data": data, "files": sent}


def ops(variables: object) -> dict[str, object]:
    return {"query": TYPENAME, "variables": variables}


MISFITS = {
    "into a null variable": multipart(ops({"f": None}), {"0": ["variables.f.x"]}),
    "into null variables": multipart(ops(None), {"0": ["variables.f"]}),
    "into a string": multipart(ops({"f": "text"}), {"0": ["variables.f.x"]}),
    "a list index that is no number": multipart(ops({"f": [None]}), {"0": ["variables.f.x"]}),
    "a list index out of range": multipart(ops({"f": [None]}), {"0": ["variables.f.3"]}),
    "a key that is not there": multipart(ops({}), {"0": ["variables.absent"]}),
    "onto a value that is not a null placeholder": multipart(
        ops({"f": "text"}), {"0": ["variables.f"]}
    ),
    "a map that is a list": multipart(ops({"f": None}), ["variables.f"]),
    "a path that is not a string": multipart(ops({"f": None}), {"0": [3]}),
    "paths that are not a list": multipart(ops({"f": None}), {"0": {"variables.f": 1}}),
    "a map naming a text field, not a file": multipart(
        ops({"f": None}),
        {"0": ["variables.f"]},
        files={"other": ("a.txt", b"hello", "text/plain")},
        fields={"0": "not a file"},
    ),
    "operations sent as a file": {
        "data": {"map": json.dumps({"0": ["variables.f"]})},
        "files": {
            "operations": ("o.json", json.dumps(ops({"f": None})).encode(), "application/json"),
            "0": ("a.txt", b"hello", "text/plain"),
        },
    },
    "map sent as a file": {
        "data": {"operations": json.dumps(ops({"f": None}))},
        "files": {
            "map": ("m.json", b'{"0": ["variables.f"]}', "application/json"),
            "0": ("a.txt", b"hello", "text/plain"),
        },
    },
    f"{MAX_FILES + 1} files": multipart(
        ops({f"f{n}": None for n in range(MAX_FILES + 1)}),
        {str(n): [f"variables.f{n}"] for n in range(MAX_FILES + 1)},
        files={str(n): (f"{n}.txt", b"x", "text/plain") for n in range(MAX_FILES + 1)},
    ),
    f"one file in {MAX_FILES + 1} places": multipart(
        ops({f"f{n}": None for n in range(MAX_FILES + 1)}),
        {"0": [f"variables.f{n}" for n in range(MAX_FILES + 1)]},
    ),
}


@pytest.mark.parametrize("parts", MISFITS.values(), ids=MISFITS.keys())
async def test_a_multipart_map_that_does_not_fit_is_a_client_error(client, errors_logged, parts):
    response = await client.post("/graphql", **parts)
    assert_client_error(response, errors_logged)


# Already answered 400 BAD_REQUEST on main (kept so that the new multipart parser stays so).
HANDLED = {
    "a map naming a file that was not sent": multipart(ops({"f": None}), {"1": ["variables.f"]}),
    "operations that are not JSON": multipart("{nope", {"0": ["variables.f"]}),
    "a map that is not JSON": multipart(ops({"f": None}), "{nope"),
    "a batch of operations": multipart([ops({"f": None})], {"0": ["0.variables.f"]}),
}


@pytest.mark.parametrize("parts", HANDLED.values(), ids=HANDLED.keys())
async def test_other_malformed_multipart_requests_stay_client_errors(client, errors_logged, parts):
    response = await client.post("/graphql", **parts)
    assert_client_error(response, errors_logged)


async def test_a_batch_over_json_is_a_client_error(client, errors_logged):
    response = await client.post("/graphql", json=[{"query": TYPENAME}, {"query": TYPENAME}])
    assert_client_error(response, errors_logged)


async def test_files_within_the_bounds_still_reach_the_operation(client, errors_logged):
    """The spec's own shapes still work: nested in a list, and one file in two places."""
    parts = multipart(
        ops({"a": [None, None], "b": {"c": None}}),
        {"0": ["variables.a.1", "variables.b.c"]},
    )
    response = await client.post("/graphql", **parts)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}
    assert errors_logged() == []
