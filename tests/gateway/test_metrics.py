"""GET /metrics through the live app: each series moves when the service does the thing it
counts, and what clients choose (paths, operation names) cannot multiply the series.

The metrics are per process and other tests count into them too, so each test compares a
scrape before with one after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.observability.graphql_metrics import MAX_OPERATION_NAMES
from infra.settings.environment import SettingsError, settings_from_env
from models import IngestionJob
from resolvers.ids import decode_id
from tests.support.api import graphql, register
from tests.support.processes import eventually
from tests.support.subscriptions import initialise, until_ingested

Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client) -> Series:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(series: Series, name: str, **labels: str) -> float:
    return series.get((name, frozenset(labels.items())), 0.0)


def label_values(series: Series, name: str, label: str) -> set[str]:
    return {dict(labels)[label] for (sample, labels), _ in series.items() if sample == name}


async def test_rest_requests_count_by_route_template_and_status(client):
    user = await register(client)
    task = (await client.post("/api/tasks", json={"message": "Hi"}, headers=user["headers"])).json()
    before = await scrape(client)
    for task_id, status in ((task["id"], 200), ("VGFzazo5OTk5", 404)):
        answer = await client.get(f"/api/tasks/{task_id}", headers=user["headers"])
        assert answer.status_code == status
    assert (await client.get(f"/no/such/{task['id']}")).status_code == 404
    after = await scrape(client)

    requests = "taskloom_http_requests_total"
    for route, status in (("/api/tasks/{taskId}", "200"), ("/api/tasks/{taskId}", "404")):
        grew = value(after, requests, route=route, status=status)
        assert grew - value(before, requests, route=route, status=status) == 1
    unmatched = value(after, requests, route="unmatched", status="404")
    assert unmatched - value(before, requests, route="unmatched", status="404") == 1
    count = "taskloom_http_request_duration_seconds_count"
    assert (
        value(after, count, route="/api/tasks/{taskId}")
        - value(before, count, route="/api/tasks/{taskId}")
        == 2
    )
    assert not any(task["id"] in route for route in label_values(after, requests, "route"))


async def test_graphql_operations_count_by_name_and_outcome_and_errors_by_code(client):
    user = await register(client)
    before = await scrape(client)
    named = await graphql(client, "query WhoAmI { me { id } }", headers=user["headers"])
    assert "errors" not in named
    anonymous = await graphql(client, "{ me { id } }")  # not signed in
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    broken = await client.post("/graphql", json={"query": "query Broken { me { "})
    assert broken.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    after = await scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    operations = "taskloom_graphql_operations_total"
    assert grew(operations, operation="WhoAmI", outcome="ok") == 1
    assert grew(operations, operation="anonymous", outcome="error") >= 1
    assert grew("taskloom_graphql_errors_total", code="UNAUTHENTICATED") == 1
    assert grew("taskloom_graphql_errors_total", code="BAD_REQUEST") == 1


async def test_an_upload_ingested_to_ready_and_the_queue_depth(client, server):
    user = await register(client)
    before = await scrape(client)
    response = await client.post(
        "/api/documents",
        params={"title": "Notes", "description": "Station notes"},
        files={"file": ("notes.txt", b"The reactor runs on liquid helium.", "text/plain")},
        headers=user["headers"],
    )
    assert response.status_code == 201, response.text
    document = response.json()
    assert (await until_ingested(server.ws_url, user["token"], document["id"]))["status"] == "READY"
    after = await scrape(client)
    jobs = "taskloom_ingestion_jobs_total"
    assert value(after, jobs, outcome="ready") - value(before, jobs, outcome="ready") == 1
    assert value(after, jobs, outcome="failed") == value(before, jobs, outcome="failed")

    # A job that is not due for a day waits in the table: the gauge reads the table.
    decoded = decode_id(document["id"])
    assert decoded is not None
    waiting = await IngestionJob.create(
        document_id=decoded[1], owner_id=0, run_after=datetime.now(UTC) + timedelta(days=1)
    )
    try:
        depth = value(await scrape(client), "taskloom_ingestion_queue_depth")
        assert depth == await IngestionJob.all().count() >= 1
    finally:
        await waiting.delete()
    assert value(await scrape(client), "taskloom_ingestion_queue_depth") == depth - 1


async def test_an_agent_step_counts_by_its_outcome(client):
    user = await register(client)
    task = (await client.post("/api/tasks", json={"message": "Hi"}, headers=user["headers"])).json()
    before = await scrape(client)
    step = await client.post(f"/api/tasks/{task['id']}", json={}, headers=user["headers"])
    assert step.status_code == 200, step.text
    after = await scrape(client)
    steps = "taskloom_agent_steps_total"
    outcome = step.json()["result"]["status"]
    assert value(after, steps, outcome=outcome) - value(before, steps, outcome=outcome) == 1


async def test_open_websockets_are_a_gauge(client, server):
    before = value(await scrape(client), "taskloom_websockets_open")
    handshake = await initialise(server.ws_url)
    assert handshake.socket is not None
    assert value(await scrape(client), "taskloom_websockets_open") == before + 1
    await handshake.socket.close()

    async def released() -> bool:
        return value(await scrape(client), "taskloom_websockets_open") == before

    await eventually(released)


async def test_made_up_paths_and_operation_names_do_not_make_new_series(client):
    for n in range(1000):
        await client.get(f"/made/up/{n}")
        await client.post("/graphql", json={"query": f"query Made{n} {{ __typename }}"})
    series = await scrape(client)
    routes = label_values(series, "taskloom_http_requests_total", "route")
    assert not any(route.startswith("/made/") for route in routes)
    names = label_values(series, "taskloom_graphql_operations_total", "operation")
    assert "other" in names
    assert len(names) <= MAX_OPERATION_NAMES + 2  # and `anonymous`, `other`
    assert len([name for name in names if name.startswith("Made")]) < 1000


async def test_metrics_off_removes_the_route_and_the_middleware(client, app_with):
    async with await app_with(metrics=False) as off:
        assert (await off.get("/metrics")).status_code == 404
        before = await scrape(client)
        assert (await off.get("/healthz")).status_code == 200
        after = await scrape(client)
    requests = "taskloom_http_requests_total"
    assert value(after, requests, route="/healthz", status="200") == value(
        before, requests, route="/healthz", status="200"
    )


def test_the_setting_reads_like_the_others(tmp_path):
    env = {"TASKLOOM_DATA_DIR": str(tmp_path)}
    assert settings_from_env(env).metrics is True
    assert settings_from_env({**env, "TASKLOOM_METRICS": "off"}).metrics is False
    with pytest.raises(SettingsError, match="TASKLOOM_METRICS"):
        settings_from_env({**env, "TASKLOOM_METRICS": "maybe"})
