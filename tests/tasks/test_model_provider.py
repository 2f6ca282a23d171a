"""Steps with an OpenAI-compatible model, through the real openai client against a local fake
server: every failure is a recorded error step and the task stays usable; two steps on one task
never run at once."""

from __future__ import annotations

import asyncio

import pytest

from infra.settings.values import AgentSettings
from tests.fakes.openai_server import FakeOpenAI, error_reply, hang, text_reply, tool_call
from tests.support.api import graphql, register
from tests.support.query_count import count_queries
from tests.support.subscriptions import subscription


@pytest.fixture
async def model(app_with):
    with FakeOpenAI() as fake:
        agent = AgentSettings(
            model="fake-model", base_url=fake.base_url, api_key="test",
            model_timeout_seconds=1, model_retries=0,
        )  # fmt: skip
        async with await app_with(agent=agent) as http:
            yield fake, http


async def _task(http, user, message="Find the reactor fuel"):
    response = await http.post("/api/tasks", json={"message": message}, headers=user["headers"])
    return response.json()["id"]


async def _step(http, user, task_id, **body):
    response = await http.post(f"/api/tasks/{task_id}", json=body, headers=user["headers"])
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("reply", "error_part"),
    [
        (error_reply(429, "slow down"), "429"),
        (error_reply(500, "boom"), "500"),
        (hang(), "within 1 second"),
        (tool_call("search_knowledge", "{not json"), "arguments"),
        (tool_call("launch_rockets", {}), "launch_rockets"),
        (tool_call("search_knowledge", {"query": 42}), "query"),
    ],
)
async def test_each_model_failure_is_a_recorded_error_step(model, reply, error_part):
    fake, http = model
    user = await register(http)
    task_id = await _task(http, user)
    fake.queue_chat(reply)
    step = await _step(http, user, task_id)
    fake.release()
    assert step["result"]["status"] == "error"
    assert error_part.lower() in step["result"]["error"].lower()
    assert "Traceback" not in step["result"]["error"]
    assert step["action"]["final"] is False
    # The task stays usable: the next step works.
    fake.queue_chat(tool_call("finish", {"answer": "Helium."}))
    after = await _step(http, user, task_id, message="please finish")
    assert after["action"] == {**after["action"], "name": "finish", "final": True}
    assert after["result"]["message"] == "Helium."
    steps = (await http.get(f"/api/tasks/{task_id}/steps", headers=user["headers"])).json()
    assert [s["index"] for s in steps] == [0, 1]


async def test_a_plain_text_reply_finishes_with_that_text(model):
    fake, http = model
    user = await register(http)
    task_id = await _task(http, user)
    fake.queue_chat(text_reply("It runs on helium."))
    step = await _step(http, user, task_id)
    assert step["action"]["final"] and step["result"]["message"] == "It runs on helium."


async def test_usage_is_kept_per_step_and_summed_on_the_task(model):
    fake, http = model
    user = await register(http)
    task_id = await _task(http, user)
    fake.queue_chat(tool_call("list_documents", {}), tool_call("finish", {"answer": "Done."}))
    first = await _step(http, user, task_id)
    second = await _step(http, user, task_id)
    usages = [s["result"]["details"]["usage"] for s in (first, second)]
    assert all(u["tokens_in"] > 0 and u["tokens_out"] > 0 for u in usages)
    result = await graphql(
        http, "query($id: ID!) { task(id: $id) { usage { tokensIn tokensOut milliseconds } } }",
        {"id": task_id}, headers=user["headers"],
    )  # fmt: skip
    usage = result["data"]["task"]["usage"]
    assert usage["tokensIn"] == sum(u["tokens_in"] for u in usages)
    assert usage["tokensOut"] == sum(u["tokens_out"] for u in usages)


async def test_two_steps_on_one_task_never_run_at_once(model):
    fake, http = model
    user = await register(http)
    task_id = await _task(http, user)
    fake.queue_chat(hang())
    first = asyncio.create_task(
        http.post(f"/api/tasks/{task_id}", json={}, headers=user["headers"])
    )

    async def model_called() -> bool:
        return bool(fake.chat_requests())

    from tests.support.processes import eventually

    await eventually(model_called)
    second = await http.post(f"/api/tasks/{task_id}", json={}, headers=user["headers"])
    assert second.status_code == 409
    assert second.json()["error"] == "CONFLICT"
    fake.release()
    assert (await first).status_code == 200
    other_task = await _task(http, user, "Another task")  # other tasks are not blocked
    fake.queue_chat(tool_call("finish", {"answer": "ok"}))
    assert (await _step(http, user, other_task))["action"]["final"]
    fake.queue_chat(tool_call("finish", {"answer": "ok"}))
    assert (await _step(http, user, task_id))["action"]["final"]
    steps = (await http.get(f"/api/tasks/{task_id}/steps", headers=user["headers"])).json()
    assert [s["index"] for s in steps] == [0, 1]


async def test_task_steps_subscription_streams_each_recorded_step(model, server):
    fake, http = model
    user = await register(http)
    task_id = await _task(http, user)
    query = "subscription($id: ID!) { taskSteps(taskId: $id) { index action { name } } }"
    ws_url = str(http.base_url).rstrip("/").replace("http://", "ws://")
    async with subscription(ws_url, user["token"], query, {"id": task_id}) as updates:
        fake.queue_chat(tool_call("list_documents", {}), tool_call("finish", {"answer": "ok"}))
        await _step(http, user, task_id)
        first = await anext(updates)
        await _step(http, user, task_id)
        second = await anext(updates)
    assert first["data"]["taskSteps"] == {"index": 0, "action": {"name": "list_documents"}}
    assert second["data"]["taskSteps"] == {"index": 1, "action": {"name": "finish"}}


async def test_a_model_that_never_finishes_is_stopped_within_max_steps(app_with):
    with FakeOpenAI() as fake:
        agent = AgentSettings(
            model="fake-model", base_url=fake.base_url, api_key="test",
            model_timeout_seconds=1, model_retries=0, max_steps=3,
        )  # fmt: skip
        async with await app_with(agent=agent) as http:
            user = await register(http)
            task_id = await _task(http, user)
            fake.queue_chat(*[tool_call("list_documents", {}) for _ in range(10)])
            steps = [await _step(http, user, task_id) for _ in range(3)]
    assert [s["action"]["final"] for s in steps] == [False, False, True]
    assert steps[-1]["result"]["status"] == "ok"


async def test_a_step_costs_the_same_sql_whatever_the_history(model):
    fake, http = model
    user = await register(http)
    task_id = await _task(http, user)
    counts = []
    for _ in range(6):
        fake.queue_chat(tool_call("list_documents", {}))
        with count_queries() as counter:
            await _step(http, user, task_id)
        counts.append(counter.count_excluding("ingestion_jobs"))
    assert len(set(counts)) == 1, counts
    assert counts[0] <= 12, counts
