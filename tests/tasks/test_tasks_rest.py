"""Tasks over REST, written from spec/rest-api.md § Tasks, with the offline agent."""

from __future__ import annotations

import pytest

from tests.knowledge.test_documents import ingested
from tests.support.api import graphql, register

FACT = (
    "The Zorblax reactor on Kepler station runs on liquid helium at four kelvin. "
    "Its keeper, Ada Brightwater, inspects it every Tuesday."
)


async def new_task(client, user, message="What does the Zorblax reactor run on?"):
    response = await client.post("/api/tasks", json={"message": message}, headers=user["headers"])
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_records_the_task_without_calling_the_agent(client):
    user = await register(client)
    task = await new_task(client, user, "Summarise the harbour logs\nfor the last week, please")
    assert set(task) == {"created", "completed", "id", "title", "description", "request", "context"}
    assert task["completed"] is None
    assert task["request"] == "Summarise the harbour logs\nfor the last week, please"
    assert task["title"] == "Summarise the harbour logs"
    assert task["description"] == "" and task["context"] == {}
    steps = await client.get(f"/api/tasks/{task['id']}/steps", headers=user["headers"])
    assert steps.status_code == 200 and steps.json() == []
    fetched = await client.get(f"/api/tasks/{task['id']}", headers=user["headers"])
    assert fetched.json() == task


async def test_tasks_are_listed_newest_first(client):
    user = await register(client)
    ids = [(await new_task(client, user, f"task {n}"))["id"] for n in range(3)]
    listed = await client.get("/api/tasks", headers=user["headers"])
    assert [t["id"] for t in listed.json()] == list(reversed(ids))


async def test_a_long_request_gets_a_short_title(client):
    user = await register(client)
    task = await new_task(client, user, "word " * 100)
    assert len(task["title"]) <= 80 and task["title"].endswith("…")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"message"}),
        ({"message": ""}, {"message"}),
        ({"message": "   "}, {"message"}),
        ({"message": "\u200b\u2060"}, {"message"}),  # zero-width characters only
        ({"message": 42}, {"message"}),
        ({"message": None}, {"message"}),
        ({"message": "x" * 20_001}, {"message"}),
        ({"message": "ok", "priority": 1}, {"priority"}),
    ],
)
async def test_create_validates_the_message(client, body, fields):
    user = await register(client)
    response = await client.post("/api/tasks", json=body, headers=user["headers"])
    assert response.status_code == 422
    assert set(response.json()["fields"]) == fields
    assert (await client.get("/api/tasks", headers=user["headers"])).json() == []


async def test_the_offline_agent_answers_from_an_uploaded_document_and_cites_it(client, server):
    user = await register(client)
    document, _ = await ingested(client, server, user, FACT.encode(), title="Reactor notes")
    chunk_id = (
        await client.get(f"/api/documents/{document['id']}/chunks", headers=user["headers"])
    ).json()[0]["id"]
    task = await new_task(client, user)
    steps = []
    for _ in range(5):
        response = await client.post(f"/api/tasks/{task['id']}", headers=user["headers"])
        assert response.status_code == 200, response.text
        step = response.json()
        assert set(step) >= {"input", "action", "result", "documents"}
        assert set(step["action"]) == {"name", "parameters", "reasoning", "final"}
        assert set(step["result"]) == {"status", "details", "summary", "error", "message"}
        steps.append(step)
        if step["action"]["final"]:
            break
    final = steps[-1]
    assert final["action"]["final"] and final["action"]["name"] == "finish"
    assert "liquid helium" in final["result"]["message"]
    assert steps[0]["input"] == ""
    listed = (await client.get(f"/api/tasks/{task['id']}/steps", headers=user["headers"])).json()
    assert [s["index"] for s in listed] == list(range(len(steps)))
    assert [s["action"]["name"] for s in listed] == [s["action"]["name"] for s in steps]
    done = (await client.get(f"/api/tasks/{task['id']}", headers=user["headers"])).json()
    assert done["completed"] is not None and done["description"]
    cited = await graphql(
        client,
        "query($id: ID!) { task(id: $id) { steps { edges { node { result { citations "
        "{ score chunk { id content } } } } } } } }",
        {"id": task["id"]},
        headers=user["headers"],
    )
    citations = [
        c["chunk"]["id"]
        for edge in cited["data"]["task"]["steps"]["edges"]
        for c in edge["node"]["result"]["citations"]
    ]
    assert chunk_id in citations
    answer_files = [d for s in steps for d in s["documents"]]
    assert answer_files and all(d["taskId"] == task["id"] for d in answer_files)


async def test_with_nothing_relevant_it_asks_once_then_says_so_and_finishes(client):
    user = await register(client)
    task = await new_task(client, user, "What colour is the quasar beacon?")
    first = (await client.post(f"/api/tasks/{task['id']}", headers=user["headers"])).json()
    steps = [first]
    while not steps[-1]["action"]["final"] and len(steps) < 6:
        steps.append(
            (await client.post(f"/api/tasks/{task['id']}", json={}, headers=user["headers"])).json()
        )
    names = [s["action"]["name"] for s in steps]
    assert names.count("ask_user") == 1
    assert steps[-1]["action"]["final"]
    assert (
        "found nothing" in steps[-1]["result"]["message"].lower()
        or "no relevant" in steps[-1]["result"]["message"].lower()
    )
    # A new message continues a finished task.
    more = await client.post(
        f"/api/tasks/{task['id']}", json={"message": "Try again"}, headers=user["headers"]
    )
    assert more.status_code == 200 and more.json()["input"] == "Try again"


@pytest.mark.parametrize(
    "body",
    [{"message": 5}, {"message": "x" * 20_001}, {"note": "hi"}, [1], "text"],
)
async def test_step_validates_its_body(client, body):
    user = await register(client)
    task = await new_task(client, user)
    response = await client.post(f"/api/tasks/{task['id']}", json=body, headers=user["headers"])
    assert response.status_code in (400, 422)
    steps = await client.get(f"/api/tasks/{task['id']}/steps", headers=user["headers"])
    assert steps.json() == []


async def test_another_users_task_is_not_found_anywhere(client):
    owner = await register(client)
    stranger = await register(client)
    task = await new_task(client, owner)
    for method, path, kwargs in [
        ("GET", f"/api/tasks/{task['id']}", {}),
        ("POST", f"/api/tasks/{task['id']}", {"json": {}}),
        ("GET", f"/api/tasks/{task['id']}/steps", {}),
        (
            "POST",
            f"/api/tasks/{task['id']}/documents",
            {"files": {"file": ("a.txt", b"hello", "text/plain")}},
        ),
        ("GET", f"/api/tasks/{task['id']}/documents/VGFza0RvY3VtZW50OjE", {}),
    ]:
        response = await client.request(method, path, headers=stranger["headers"], **kwargs)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"] == "NOT_FOUND"
    assert (await client.get("/api/tasks", headers=stranger["headers"])).json() == []
    assert (
        await client.get(f"/api/tasks/{task['id']}/steps", headers=owner["headers"])
    ).json() == []


async def test_task_routes_need_a_token(client):
    for method, path in [
        ("GET", "/api/tasks"),
        ("POST", "/api/tasks"),
        ("GET", "/api/tasks/x"),
        ("POST", "/api/tasks/x"),
        ("GET", "/api/tasks/x/steps"),
    ]:
        assert (await client.request(method, path)).status_code == 401


async def test_tasks_can_be_filtered_by_completion_and_text(client):
    user = await register(client)
    open_task = await new_task(client, user, "Count the harbour lighthouses")
    done_task = await new_task(client, user, "Summarise the keeper's log")
    final = None
    for _ in range(6):
        final = (await client.post(f"/api/tasks/{done_task['id']}", headers=user["headers"])).json()
        if final["action"]["final"]:
            break
    query = "query($f: TaskFilter) { tasks(filter: $f) { totalCount edges { node { id } } } }"

    async def ids(task_filter):
        result = await graphql(client, query, {"f": task_filter}, headers=user["headers"])
        return [edge["node"]["id"] for edge in result["data"]["tasks"]["edges"]]

    assert await ids({"completed": True}) == [done_task["id"]]
    assert await ids({"completed": False}) == [open_task["id"]]
    assert await ids({"text": "LIGHTHOUSES"}) == [open_task["id"]]
    assert await ids({"text": "no such words"}) == []
    too_long = await graphql(client, query, {"f": {"text": "x" * 201}}, headers=user["headers"])
    assert too_long["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED"
    wrong_type = await graphql(client, query, {"f": {"completed": "yes"}}, headers=user["headers"])
    assert wrong_type["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED"
