"""Tasks: the requests the agent works on, their pages of steps, and the task roots."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

import models
from resolvers import steps, tasks
from resolvers.ids import encode_id
from resolvers.pages import page_request
from schema.info import Info
from schema.lookahead import selects
from schema.node import Node
from schema.pagination import (
    AFTER_DESCRIPTION,
    FIRST_DESCRIPTION,
    Connection,
    connection,
    page_connection,
)
from schema.steps import ROW_FIELDS, Step, shaped_step, shaped_steps
from schema.workspace import TaskDocument


@strawberry.type(description="What a task's steps have cost so far.")
class Usage:
    tokens_in: int = strawberry.field(description="Input (prompt) tokens the model read, in all.")
    tokens_out: int = strawberry.field(description="Output tokens the model wrote, in all.")
    milliseconds: int = strawberry.field(description="Time the steps took in all, in milliseconds.")


@strawberry.type(description="A request the agent works on, one step at a time.")
class Task(Node):
    title: str = strawberry.field(
        description="A short title made from the request's first line, at most 80 characters."
    )
    description: str = strawberry.field(
        description="The agent's running summary of its steps, at most 30 lines (the latest kept)."
    )
    request: str = strawberry.field(description="The message that created the task.")
    context: JSON = strawberry.field(description="The agent's key-value memory, a JSON object.")
    created: datetime = strawberry.field(description="When the task was created, in UTC.")
    completed: datetime | None = strawberry.field(
        description="When a step ended the task, in UTC; null while it is open (a later step "
        "reopens it)."
    )
    step_count: int = strawberry.field(description="How many steps have been recorded.")
    usage: Usage = strawberry.field(description="What the task's steps have used so far.")
    pk: strawberry.Private[int]

    @classmethod
    def of(cls, task: models.Task) -> Task:
        return cls(
            id=strawberry.ID(encode_id("Task", task.id)),
            title=task.title,
            description=task.description,
            request=task.request,
            context=JSON(task.context),
            created=task.created,
            completed=task.completed,
            step_count=task.step_count,
            usage=Usage(
                tokens_in=task.tokens_in, tokens_out=task.tokens_out, milliseconds=task.agent_ms
            ),
            pk=task.id,
        )

    @strawberry.field(description="The steps, oldest first.")
    async def steps(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description=FIRST_DESCRIPTION)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    ) -> Connection[Step]:
        request = page_request(first, after, info.context.settings.limits.max_first)
        fields = frozenset(name for name in ROW_FIELDS if selects(info, "edges", "node", name))
        rows = await info.context.loaders.steps_page(tuple(sorted(fields))).load(
            (self.pk, request.first + 1, request.after)
        )
        steps = await shaped_steps(
            info.context,
            rows[: request.first + 1],
            fields=fields,
            documents=selects(info, "edges", "node", "documents"),
            citations=selects(info, "edges", "node", "result", "citations"),
        )
        by_id = {step.pk: step for step in steps}
        return connection(
            info,
            rows,
            request,
            key=lambda s: s.index,
            node=lambda s: by_id[s.id],
            total=self.step_count,
        )

    @strawberry.field(description="The files of the task's workspace, oldest first.")
    async def documents(self, info: Info) -> list[TaskDocument]:
        rows = await info.context.loaders.task_documents_by_task.load(self.pk)
        secret = info.context.settings.jwt_secret
        return [TaskDocument.of(row, secret) for row in rows]


@strawberry.input(description="Which tasks to list.")
class TaskFilter:
    completed: bool | None = strawberry.field(
        default=None,
        description="True: only completed tasks; false: only open ones; null: both.",
    )
    text: str | None = strawberry.field(
        default=None,
        description="Only tasks whose title or request contains this text, ignoring letter case; "
        "at most 200 characters.",
    )


@strawberry.input(description="A new task.")
class CreateTaskInput:
    message: str = strawberry.field(
        description="What the agent should do, 1 to 20000 characters once trimmed."
    )


async def your_tasks(
    info: Info,
    first: Annotated[int | None, strawberry.argument(description=FIRST_DESCRIPTION)] = None,
    after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    filter: Annotated[
        TaskFilter | None,
        strawberry.argument(description="Which tasks to include; null includes them all."),
    ] = None,
) -> Connection[Task]:
    chosen = filter or TaskFilter()
    page = await tasks.tasks_page(
        info.context,
        first=first,
        after=after,
        count=selects(info, "totalCount"),
        completed=chosen.completed,
        text=chosen.text,
    )
    return page_connection(info, page, Task.of)


@strawberry.type
class TaskQuery:
    @strawberry.field(description="One of your tasks.")
    async def task(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The task's global id.")],
    ) -> Task:
        return Task.of(await tasks.owned_task(info.context, id))

    tasks: Connection[Task] = strawberry.field(
        resolver=your_tasks, description="Your tasks, newest first."
    )

    @strawberry.field(description="One file of one of your tasks' workspaces.")
    async def task_document(
        self,
        info: Info,
        task_id: Annotated[
            strawberry.ID, strawberry.argument(description="The global id of the file's task.")
        ],
        id: Annotated[strawberry.ID, strawberry.argument(description="The file's global id.")],
    ) -> TaskDocument:
        document = await tasks.task_document(info.context, task_id, id)
        return TaskDocument.of(document, info.context.settings.jwt_secret)


@strawberry.type
class TaskMutation:
    @strawberry.mutation(description="Record a new task; the agent is not called yet.")
    async def create_task(
        self,
        info: Info,
        input: Annotated[
            CreateTaskInput, strawberry.argument(description="What the task is about.")
        ],
    ) -> Task:
        return Task.of(await tasks.create_task(info.context, input.message))

    @strawberry.mutation(
        description="Progress the task by exactly one step, synchronously; while one of its "
        "steps runs, another is refused (CONFLICT)."
    )
    async def step_task(
        self,
        info: Info,
        task_id: Annotated[strawberry.ID, strawberry.argument(description="The task's global id.")],
        message: Annotated[
            str | None,
            strawberry.argument(
                description="A message for the agent, e.g. the answer to its question, up to "
                "20000 characters; null or empty for none."
            ),
        ] = None,
    ) -> Step:
        return await shaped_step(
            info.context, await steps.step_task(info.context, task_id, message)
        )

    @strawberry.mutation(description="Add a file to the task's workspace.")
    async def upload_task_document(
        self,
        info: Info,
        task_id: Annotated[strawberry.ID, strawberry.argument(description="The task's global id.")],
        file: Annotated[
            Upload,
            strawberry.argument(
                description="The file as a multipart upload: text, Markdown, HTML, CSV, JSON, PDF "
                "or DOCX, up to the server's size limit (50 MiB by default)."
            ),
        ],
    ) -> TaskDocument:
        document = await tasks.upload_task_document(info.context, task_id, file)
        return TaskDocument.of(document, info.context.settings.jwt_secret)


@strawberry.type
class TaskSubscription:
    @strawberry.subscription(
        description="The steps recorded so far, then each new step as it is recorded."
    )
    async def task_steps(
        self,
        info: Info,
        task_id: Annotated[
            strawberry.ID, strawberry.argument(description="The global id of the task to follow.")
        ],
    ) -> AsyncGenerator[Step, None]:
        task = await tasks.owned_task(info.context, task_id)
        # Subscribe before reading what exists, so that no step falls in between.
        events = info.context.services.events
        async with events.subscribe(steps.task_topic(task.id)) as queue:
            last_index = -1
            while True:
                await info.context.next_event()
                for step in await steps.steps_after(task, last_index):
                    last_index = step.index
                    yield await shaped_step(info.context, step)
                await events.wait(queue)
