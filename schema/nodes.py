"""`node(id:)`: any object by its global id, if it is yours."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from resolvers import knowledge, steps, tasks
from resolvers.context import RequestContext
from resolvers.ids import decode_id
from schema.info import Info
from schema.knowledge import Chunk, KnowledgeDocument
from schema.node import Node
from schema.steps import shaped_step
from schema.tasks import Task
from schema.user import User
from schema.workspace import TaskDocument


async def _user(context: RequestContext, pk: int) -> Node | None:
    viewer = await context.viewer()
    return User.of(viewer) if pk == viewer.id else None


async def _task(context: RequestContext, pk: int) -> Node | None:
    task = await tasks.viewer_task(context, pk)
    return Task.of(task) if task is not None else None


async def _step(context: RequestContext, pk: int) -> Node | None:
    step = await steps.viewer_step(context, pk)
    return await shaped_step(context, step) if step is not None else None


async def _task_document(context: RequestContext, pk: int) -> Node | None:
    document = await tasks.viewer_task_document(context, pk)
    return TaskDocument.of(document, context.settings.jwt_secret) if document else None


async def _document(context: RequestContext, pk: int) -> Node | None:
    document = await knowledge.viewer_document(context, pk)
    return KnowledgeDocument.of(document) if document is not None else None


async def _chunk(context: RequestContext, pk: int) -> Node | None:
    chunk = await knowledge.viewer_chunk(context, pk)
    return Chunk.of(chunk, chunk.document) if chunk is not None else None


RESOLVERS: dict[str, Callable[[RequestContext, int], Awaitable[Node | None]]] = {
    "User": _user,
    "Task": _task,
    "Step": _step,
    "TaskDocument": _task_document,
    "Document": _document,
    "Chunk": _chunk,
}


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any of your objects by its global id; null if none is.")
    async def node(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="A global id, as any object's `id` field gives it."),
        ],
    ) -> Node | None:
        decoded = decode_id(id)
        if decoded is None or decoded[0] not in RESOLVERS:
            await info.context.viewer()  # an anonymous caller learns nothing either way
            return None
        kind, pk = decoded
        return await RESOLVERS[kind](info.context, pk)
