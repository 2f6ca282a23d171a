"""Tasks: created without calling the agent, then progressed one synchronous step at a time."""

from __future__ import annotations

import re
from typing import Any

from tortoise import connections
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from infra.blobs.blob_lifetime import naming_blob
from infra.errors import NotFound, ValidationFailed
from models import Task, TaskDocument
from resolvers import validation
from resolvers.context import RequestContext
from resolvers.ids import pk_of
from resolvers.pages import Page, newest_first, page_request
from resolvers.uploads import free_filename, receive_file
from retrieval.extraction import ExtractionError, extract_text_async

MESSAGE_MAX = 20_000
TITLE_MAX = 80
FILTER_TEXT_MAX = 200


def check_message(message: str | None, *, required: bool) -> str:
    errors = validation.FieldErrors()
    text = errors.check(
        "message", message or "", validation.bounded_text(MESSAGE_MAX, empty=not required)
    )
    errors.raise_if_any()
    return text


def short_title(request: str) -> str:
    """The request's first line, cut at a word boundary to at most 80 characters."""
    first_line = next((line for line in request.splitlines() if line.strip()), request)
    title = re.sub(r"\s+", " ", first_line).strip()
    if len(title) <= TITLE_MAX:
        return title
    cut = title[: TITLE_MAX - 1].rsplit(" ", 1)[0] or title[: TITLE_MAX - 1]
    return cut.rstrip(" ,.;:") + "…"


async def create_task(context: RequestContext, message: str) -> Task:
    user = await context.viewer()
    request = check_message(message, required=True)
    return await Task.create(owner=user, request=request, title=short_title(request))


async def owned_task(context: RequestContext, global_id: str) -> Task:
    user = await context.viewer()
    task = await Task.get_or_none(id=pk_of(global_id, "Task"), owner_id=user.id)
    if task is None:
        raise NotFound("No task with this id")
    return task


async def viewer_task(context: RequestContext, pk: int) -> Task | None:
    """The viewer's task `pk` through the request's loader; None when it is not theirs."""
    task = await context.loaders.task_by_id.load(pk)
    viewer = await context.viewer()
    return task if task is not None and task.owner_id == viewer.id else None


async def tasks_page(
    context: RequestContext,
    *,
    first: int | None,
    after: str | None,
    count: bool,
    completed: bool | None = None,
    text: str | None = None,
) -> Page[Task]:
    """A page of the viewer's tasks, newest first; counted only when `count`."""
    user = await context.viewer()
    query = await tasks_query(user.id, completed=completed, text=text)
    request = page_request(first, after, context.settings.limits.max_first)
    return await newest_first(query, request, count=count)


async def tasks_query(
    user_id: int, *, completed: bool | None = None, text: str | None = None
) -> QuerySet[Task]:
    query = Task.filter(owner_id=user_id)
    if completed is not None:
        query = query.filter(completed__isnull=not completed)
    if text:
        if len(text) > FILTER_TEXT_MAX:
            raise ValidationFailed({"filter.text": f"must be at most {FILTER_TEXT_MAX} characters"})
        if text.isascii() or not _on_sqlite():
            query = query.filter(Q(title__icontains=text) | Q(request__icontains=text))
        else:
            query = query.filter(id__in=await _ids_containing(user_id, text))
    return query


def _on_sqlite() -> bool:
    return bool(connections.get("default").schema_generator.DIALECT == "sqlite")


async def _ids_containing(user_id: int, text: str) -> list[int]:
    """SQLite's LIKE ignores the case of ASCII letters only: for other letters the user's
    tasks are matched here, case-folded."""
    needle = text.casefold()
    rows = await Task.filter(owner_id=user_id).values_list("id", "title", "request")
    return [
        pk
        for pk, title, request in rows
        if needle in str(title).casefold() or needle in str(request).casefold()
    ]


async def task_document(context: RequestContext, task_id: str, document_id: str) -> TaskDocument:
    task = await owned_task(context, task_id)
    document = await TaskDocument.get_or_none(
        id=pk_of(document_id, "TaskDocument"), task_id=task.id
    )
    if document is None:
        raise NotFound("No document with this id in this task")
    return document


async def viewer_task_document(context: RequestContext, pk: int) -> TaskDocument | None:
    """The workspace file `pk` of one of the viewer's tasks, or None."""
    viewer = await context.viewer()
    return await TaskDocument.get_or_none(id=pk, task__owner_id=viewer.id)


async def upload_task_document(context: RequestContext, task_id: str, upload: Any) -> TaskDocument:
    """Stores the file in the task's workspace and extracts its text for the agent; a file whose
    text cannot be read is still kept (its metadata says why the agent cannot read it). The text
    is read from this request's own copy, before the file is published with its row."""
    task = await owned_task(context, task_id)
    blobs, max_bytes = context.services.blobs, context.services.settings.max_upload_bytes
    async with receive_file(blobs, upload, max_bytes=max_bytes) as received:
        metadata: dict[str, Any] = {"source": "upload", "sha256": received.sha256}
        text: str | None = None
        try:
            text = await extract_text_async(received.incoming.path, received.content_type)
        except ExtractionError as error:
            metadata["textError"] = str(error)  # made without paths (retrieval.extraction.errors)
        async with naming_blob(blobs, received.incoming):
            return await TaskDocument.create(
                task_id=task.id,
                filename=await free_filename(task.id, received.filename),
                content_type=received.content_type,
                size=received.size,
                sha256=received.sha256,
                metadata=metadata,
                text=text,
            )
