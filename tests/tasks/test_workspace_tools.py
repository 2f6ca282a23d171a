"""The agent's workspace, driven directly: files it rewrites, and an index that is down."""

from __future__ import annotations

import pytest

from agent import ToolError
from gateway.services import build_services
from models import Task, User
from resolvers.context import RequestContext
from resolvers.workspace import TaskWorkspace
from retrieval.stores.embedded import EmbeddedStore
from tests.support.api import register


async def _workspace(client, settings, tmp_path, store=None) -> TaskWorkspace:
    registered = await register(client)
    user = await User.get(username=registered["user"]["username"])
    task = await Task.create(owner=user, request="Keep notes", title="Notes")
    services = build_services(settings, store=store)
    return TaskWorkspace(RequestContext.for_user(services, user), user, task)


async def test_rewriting_a_file_releases_its_old_bytes(client, settings, tmp_path):
    workspace = await _workspace(client, settings, tmp_path)
    blobs = workspace.context.services.blobs
    first = await workspace.write_document("notes.md", "first version")
    (old,) = [
        p for p in blobs.root.rglob("*") if p.is_file() and p.read_bytes() == b"first version"
    ]
    second = await workspace.write_document("notes.md", "second version")
    assert second.id == first.id
    assert (await workspace.read_document("notes.md")).text == "second version"
    assert not old.exists()


async def test_a_search_while_the_index_is_down_is_a_clear_tool_error(client, settings, tmp_path):
    closed = EmbeddedStore(tmp_path / "closed.sqlite3")
    await closed.close()  # a store that can no longer serve
    workspace = await _workspace(client, settings, tmp_path, store=closed)
    with pytest.raises(ToolError, match="unavailable"):
        await workspace.search("anything at all", 5)
