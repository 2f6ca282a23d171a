"""A task's workspace as the agent sees it: the user's knowledge base to search, and the task's
own files to list, read, write and search."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from agent import SourceHit, ToolError, WorkspaceFile
from infra.blobs.blob_lifetime import naming_blob, release_blob
from infra.blobs.storage import one_chunk
from infra.errors import Unavailable
from models import Task, TaskDocument, User
from resolvers.context import RequestContext
from resolvers.ids import decode_id, encode_id
from resolvers.knowledge import search_for
from resolvers.uploads import free_filename, safe_filename

_WORD = re.compile(r"\w+")
TEXT_FILE_MAX = 1024 * 1024


def workspace_file(document: TaskDocument, *, with_text: bool = False) -> WorkspaceFile:
    return WorkspaceFile(
        id=encode_id("TaskDocument", document.id),
        filename=document.filename,
        content_type=document.content_type,
        size=document.size,
        text=document.text if with_text else None,
    )


def content_type_for(filename: str) -> str:
    lowered = filename.lower()
    if lowered.endswith((".md", ".markdown")):
        return "text/markdown"
    if lowered.endswith(".json"):
        return "application/json"
    if lowered.endswith(".csv"):
        return "text/csv"
    if lowered.endswith((".html", ".htm")):
        return "text/html"
    return "text/plain"


class TaskWorkspace:
    def __init__(self, context: RequestContext, user: User, task: Task) -> None:
        self.context = context
        self.user = user
        self.task = task

    async def search(self, query: str, limit: int) -> list[SourceHit]:
        try:
            knowledge = await search_for(self.context, self.user, query[:1000], limit=limit)
        except Unavailable as error:  # a clear error step, not an unexpected tool failure
            raise ToolError(error.message) from None
        hits = [
            SourceHit(
                chunk_id=hit.chunk.id,
                document_id=encode_id("Document", hit.document.id),
                document_title=hit.document.title,
                content=hit.chunk.content,
                score=hit.score,
                origin="knowledge",
            )
            for hit in knowledge
        ]
        hits += await self._search_files(query, limit)
        hits.sort(key=lambda hit: hit.score, reverse=True)
        return hits[:limit]

    async def _search_files(self, query: str, limit: int) -> list[SourceHit]:
        """Workspace files are few and small: score their paragraphs by the query's words."""
        terms = {word.lower() for word in _WORD.findall(query) if len(word) > 2}
        if not terms:
            return []
        scored: list[SourceHit] = []
        for document in await TaskDocument.filter(task_id=self.task.id, text__isnull=False):
            for paragraph in (document.text or "").split("\n\n"):
                words = Counter(word.lower() for word in _WORD.findall(paragraph))
                matched = sum(1 for term in terms if words[term])
                if matched:
                    scored.append(
                        SourceHit(
                            chunk_id=None,
                            document_id=encode_id("TaskDocument", document.id),
                            document_title=document.filename,
                            content=paragraph.strip()[:2000],
                            score=matched / len(terms),
                            origin="workspace",
                        )
                    )
        scored.sort(key=lambda hit: hit.score, reverse=True)
        return scored[:limit]

    async def list_documents(self) -> list[WorkspaceFile]:
        documents = await TaskDocument.filter(task_id=self.task.id).order_by("id")
        return [workspace_file(document) for document in documents]

    async def read_document(self, name_or_id: str) -> WorkspaceFile:
        decoded = decode_id(name_or_id)
        query = TaskDocument.filter(task_id=self.task.id)
        if decoded is not None and decoded[0] == "TaskDocument":
            document = await query.get_or_none(id=decoded[1])
        else:
            document = await query.get_or_none(filename=name_or_id)
        if document is None:
            raise ToolError(f"No file named {name_or_id!r} in this task's workspace")
        if document.text is None:
            raise ToolError(f"{document.filename} has no readable text")
        return workspace_file(document, with_text=True)

    async def write_document(self, filename: str, text: str) -> WorkspaceFile:
        name = safe_filename(filename, default="notes.md")
        data = text.encode("utf-8")
        if len(data) > TEXT_FILE_MAX:
            raise ToolError(f"A workspace file holds at most {TEXT_FILE_MAX} bytes")
        blobs = self.context.services.blobs
        content = data or b"\n"
        async with (
            blobs.receive(one_chunk(content), max_bytes=len(content)) as incoming,
            naming_blob(blobs, incoming),
        ):
            document, replaced = await self._written(name, text, incoming.blob.sha256)
        if replaced is not None and replaced != incoming.blob.sha256:
            await release_blob(blobs, replaced)  # after the commit: no row of ours names it
        return workspace_file(document, with_text=True)

    async def _written(self, name: str, text: str, sha256: str) -> tuple[TaskDocument, str | None]:
        """The agent's file of this name, rewritten, or a new one; and the digest it replaced.
        The agent rewrites its own files; a file of the user's is kept, beside a new one."""
        fields: dict[str, Any] = {
            "content_type": content_type_for(name),
            "size": len(text.encode("utf-8")),
            "sha256": sha256,
            "text": text,
            "metadata": {"author": "agent"},
        }
        previous = await TaskDocument.get_or_none(task_id=self.task.id, filename=name)
        if previous is not None and previous.metadata.get("author") == "agent":
            replaced = previous.sha256
            await previous.update_from_dict(fields).save()
            return previous, replaced
        if previous is not None:
            name = await free_filename(self.task.id, name)
        return await TaskDocument.create(task_id=self.task.id, filename=name, **fields), None
