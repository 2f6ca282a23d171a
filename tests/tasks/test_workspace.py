"""A task's workspace: uploads, downloads, names, limits, and the agent reading the files."""

from __future__ import annotations

import pytest

from tests.support.api import graphql, register
from tests.tasks.test_tasks_rest import new_task


async def put(client, user, task_id, content: bytes, filename="notes.txt", kind="text/plain"):
    return await client.post(
        f"/api/tasks/{task_id}/documents",
        files={"file": (filename, content, kind)},
        headers=user["headers"],
    )


async def test_upload_then_download_the_same_bytes(client):
    user = await register(client)
    task = await new_task(client, user)
    response = await put(client, user, task["id"], b"Kepler station logs, day one.")
    assert response.status_code == 201
    document = response.json()
    assert set(document) >= {"id", "taskId", "filename", "contentType", "size", "metadata"}
    assert document["taskId"] == task["id"] and document["filename"] == "notes.txt"
    assert document["size"] == 29 and document["contentType"] == "text/plain"
    fetched = await client.get(
        f"/api/tasks/{task['id']}/documents/{document['id']}", headers=user["headers"]
    )
    assert fetched.status_code == 200
    assert fetched.content == b"Kepler station logs, day one."
    assert fetched.headers["content-type"].startswith("text/plain")
    assert 'filename="notes.txt"' in fetched.headers["content-disposition"]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\\\Users\\\\me\\\\report.txt", "report.txt"),
        ("bad<name>?.txt", "bad_name_.txt"),
        ("...", "upload"),
        ("é" * 200 + ".txt", None),
    ],
)
async def test_file_names_are_sanitised(client, given, kept):
    user = await register(client)
    task = await new_task(client, user)
    response = await put(client, user, task["id"], b"some text", filename=given)
    assert response.status_code == 201, response.text
    filename = response.json()["filename"]
    if kept is not None:
        assert filename == kept
    assert len(filename.encode()) <= 255 and "/" not in filename and "\\" not in filename


async def test_the_same_name_twice_is_kept_apart(client):
    user = await register(client)
    task = await new_task(client, user)
    names = [
        (await put(client, user, task["id"], f"v{n}".encode())).json()["filename"] for n in range(3)
    ]
    assert names == ["notes.txt", "notes (2).txt", "notes (3).txt"]


@pytest.mark.parametrize(
    ("content", "status"),
    [(b"", 422), (b"\x89PNG\r\n\x1a\n\x00", 415), (b"\x00\x01\x02" * 100, 415)],
)
async def test_unreadable_workspace_files_are_refused(client, content, status):
    user = await register(client)
    task = await new_task(client, user)
    response = await put(client, user, task["id"], content)
    assert response.status_code == status


async def test_documents_of_another_task_are_not_found(client):
    user = await register(client)
    one, two = await new_task(client, user), await new_task(client, user)
    document = (await put(client, user, one["id"], b"private notes")).json()
    response = await client.get(
        f"/api/tasks/{two['id']}/documents/{document['id']}", headers=user["headers"]
    )
    assert response.status_code == 404


async def test_download_links_work_without_a_header_until_tampered(client):
    user = await register(client)
    task = await new_task(client, user)
    await put(client, user, task["id"], b"linked bytes")
    result = await graphql(
        client, "query($id: ID!) { task(id: $id) { documents { downloadUrl size } } }",
        {"id": task["id"]}, headers=user["headers"],
    )  # fmt: skip
    url = result["data"]["task"]["documents"][0]["downloadUrl"]
    assert (await client.get(url)).content == b"linked bytes"
    tampered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    assert (await client.get(tampered)).status_code == 404


async def test_the_agent_reads_a_workspace_file(client):
    user = await register(client)
    task = await new_task(client, user, "When does the keeper inspect the beacon?")
    await put(
        client, user, task["id"], b"Log. The keeper inspects the beacon every Thursday at dawn."
    )
    final = None
    for _ in range(5):
        final = (await client.post(f"/api/tasks/{task['id']}", headers=user["headers"])).json()
        if final["action"]["final"]:
            break
    assert final is not None and final["action"]["final"]
    assert "Thursday" in final["result"]["message"]


async def test_bytes_missing_from_the_data_folder_are_404_not_500(client, settings):
    user = await register(client)
    task = await new_task(client, user)
    document = (await put(client, user, task["id"], b"soon gone")).json()
    sha = document["metadata"]["sha256"]
    (settings.data_dir / "blobs" / sha[:2] / sha[2:4] / sha).unlink()
    response = await client.get(
        f"/api/tasks/{task['id']}/documents/{document['id']}", headers=user["headers"]
    )
    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"
