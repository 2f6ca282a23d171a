"""Tasks, their steps and workspace files."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

import models
from resolvers import steps as step_cases
from resolvers import tasks as task_cases
from resolvers.context import RequestContext
from resolvers.downloads import download_url
from resolvers.ids import encode_id
from schema.info import Info
from schema.knowledge import Chunk
from schema.lookahead import selects
from schema.node import Node
from schema.pagination import (
    AFTER_DESCRIPTION,
    FIRST_DESCRIPTION,
    Connection,
    connection,
    newest_first,
    page_request,
)


@strawberry.type(description="The tool a step chose, with its arguments and the reason.")
class Action:
    name: str = strawberry.field(
        description="The tool chosen, e.g. `search_knowledge`, `ask_user` or `finish`; `none` when "
        "the model failed before choosing one."
    )
    parameters: JSON = strawberry.field(
        description="The arguments given to the tool, a JSON object."
    )
    reasoning: str = strawberry.field(
        description="The model's reason for the choice; may be empty."
    )
    final: bool = strawberry.field(
        description="True when the action ends the task with a final answer (the `finish` tool)."
    )


@strawberry.type(description="A chunk of the knowledge base that a step relied on.")
class Citation:
    chunk: Chunk = strawberry.field(description="The chunk cited.")
    score: float = strawberry.field(
        description="The search score the chunk had when the agent found it (its best, if found "
        "more than once)."
    )


@strawberry.type(description="What a step's tool run gave.")
class StepResult:
    status: str = strawberry.field(
        description="`ok`, `error`, or `waiting` (the agent asked you a question: answer it with "
        "`stepTask(message:)`)."
    )
    details: JSON | None = strawberry.field(
        description="Details as a JSON object: the tool's own data, the step's `usage` (tokens_in, "
        "tokens_out, ms) and, when the model or tool failed, `failed_at` and `error_code`."
    )
    summary: str | None = strawberry.field(
        description="A short account of what the step did; null when it timed out or crashed."
    )
    error: str | None = strawberry.field(
        description="Why the step failed, when status is `error`; null otherwise."
    )
    message: str | None = strawberry.field(
        description="The agent's final answer, or its question to you; null when it has neither."
    )
    citations: list[Citation] = strawberry.field(
        description="The knowledge-base chunks the step relied on."
    )


@strawberry.type(description="A file of a task's workspace.")
class TaskDocument(Node):
    task_id: strawberry.ID = strawberry.field(description="The global id of the file's task.")
    filename: str = strawberry.field(
        description="The file's name, unique within the task: an upload whose name is taken gets "
        "` (2)`, ` (3)`… before its extension."
    )
    content_type: str = strawberry.field(description="The file's media type, e.g. `text/markdown`.")
    size: int = strawberry.field(description="The file's size in bytes.")
    metadata: JSON = strawberry.field(
        description="Facts about the file as a JSON object: `source`, `sha256` and, when its text "
        "cannot be read, `textError` for uploads; `author: agent` for files the agent wrote."
    )
    pk: strawberry.Private[int]
    secret: strawberry.Private[str]

    @strawberry.field(
        description="The file's text, as the agent reads it; null when none could be extracted."
    )
    async def text(self, info: Info) -> str | None:
        # Loaded only when asked for: a nested read of thousands of files needs no texts.
        return await info.context.loaders.task_document_text.load(self.pk)

    @strawberry.field(
        description="A signed path on this server to download the bytes without a token; it "
        "works for about an hour."
    )
    def download_url(self) -> str:
        return download_url(self.secret, "TaskDocument", self.pk)

    @classmethod
    def of(cls, document: models.TaskDocument, secret: str) -> TaskDocument:
        return cls(
            id=strawberry.ID(encode_id("TaskDocument", document.id)),
            task_id=strawberry.ID(encode_id("Task", document.task_id)),
            filename=document.filename,
            content_type=document.content_type,
            size=document.size,
            metadata=JSON(document.metadata),
            pk=document.id,
            secret=secret,
        )


@strawberry.type(description="One step of a task: the input, the decision and its result.")
class Step(Node):
    index: int = strawberry.field(description="Position in its task: 0, 1, 2… without gaps.")
    input: str = strawberry.field(
        description="The message you sent with this step; empty when there was none."
    )
    action: Action = strawberry.field(description="What the agent decided to do.")
    result: StepResult = strawberry.field(description="What the action gave.")
    created: datetime = strawberry.field(description="When the step was recorded, in UTC.")
    task_pk: strawberry.Private[int]
    pk: strawberry.Private[int]

    documents: list[TaskDocument] = strawberry.field(
        description="The workspace files this step read or wrote."
    )

    @classmethod
    def of(
        cls,
        step: models.Step,
        *,
        documents: list[TaskDocument] | None = None,
        citations: list[Citation] | None = None,
    ) -> Step:
        """The step with its relations, loaded beforehand in a batch; a relation that was not
        asked for is left empty."""
        action: dict[str, Any] = step.action
        result: dict[str, Any] = step.result
        return cls(
            id=strawberry.ID(encode_id("Step", step.id)),
            index=step.index,
            input=step.input,
            action=Action(
                name=action.get("name", ""),
                parameters=JSON(action.get("parameters") or {}),
                reasoning=action.get("reasoning", ""),
                final=bool(action.get("final")),
            ),
            result=StepResult(
                status=result.get("status", "error"),
                details=result.get("details"),
                summary=result.get("summary"),
                error=result.get("error"),
                message=result.get("message"),
                citations=citations or [],
            ),
            created=step.created,
            task_pk=step.task_id,
            pk=step.id,
            documents=documents or [],
        )

    @strawberry.field(description="The task the step belongs to.")
    async def task(self, info: Info) -> Task:
        task = await info.context.loaders.task_by_id.load(self.task_pk)
        assert task is not None  # a step's task exists while the step does
        return Task.of(task)


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
        rows = await info.context.loaders.steps_page.load(
            (self.pk, request.first + 1, request.after)
        )
        steps = await shaped_steps(
            info.context,
            rows[: request.first + 1],
            documents=selects(info, "edges", "node", "documents"),
            citations=selects(info, "edges", "node", "result", "citations"),
        )
        by_id = {step.pk: step for step in steps}
        return connection(
            rows, request, key=lambda s: s.index, node=lambda s: by_id[s.id], total=self.step_count
        )

    @strawberry.field(description="The files of the task's workspace, oldest first.")
    async def documents(self, info: Info) -> list[TaskDocument]:
        rows = await info.context.loaders.task_documents_by_task.load(self.pk)
        secret = info.context.settings.jwt_secret
        return [TaskDocument.of(row, secret) for row in rows]


async def shaped_steps(
    context: RequestContext,
    rows: list[models.Step],
    *,
    documents: bool = True,
    citations: bool = True,
) -> list[Step]:
    """Steps with the relations asked for, loaded in batches (every page of a nested read
    awaits here in the same turn of the loop, so the loaders batch across pages too)."""
    ids = [row.id for row in rows]
    loaders, secret = context.loaders, context.settings.jwt_secret
    files = await loaders.documents_by_step.load_many(ids) if documents else [[]] * len(ids)
    cited = await loaders.citations_by_step.load_many(ids) if citations else [[]] * len(ids)
    return [
        Step.of(
            row,
            documents=[TaskDocument.of(document, secret) for document in row_files],
            citations=[
                Citation(chunk=Chunk.of(c.chunk, c.chunk.document), score=c.score)
                for c in row_citations
            ],
        )
        for row, row_files, row_citations in zip(rows, files, cited, strict=True)
    ]


async def shaped_step(context: RequestContext, row: models.Step) -> Step:
    (step,) = await shaped_steps(context, [row])
    return step


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
    user = await info.context.viewer()
    chosen = filter or TaskFilter()
    query = task_cases.tasks_query(user.id, completed=chosen.completed, text=chosen.text)
    return await newest_first(info, query, first, after, Task.of)


@strawberry.type
class TaskQuery:
    @strawberry.field(description="One of your tasks.")
    async def task(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The task's global id.")],
    ) -> Task:
        return Task.of(await task_cases.owned_task(info.context, id))

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
        document = await task_cases.task_document(info.context, task_id, id)
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
        return Task.of(await task_cases.create_task(info.context, input.message))

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
            info.context, await step_cases.step_task(info.context, task_id, message)
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
        document = await task_cases.upload_task_document(info.context, task_id, file)
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
        task = await task_cases.owned_task(info.context, task_id)
        # Subscribe before reading what exists, so that no step falls in between.
        async with info.context.services.events.subscribe(step_cases.task_topic(task.id)) as queue:
            last_index = -1
            for step in await models.Step.filter(task_id=task.id).order_by("index"):
                last_index = step.index
                yield await shaped_step(info.context, step)
            while True:
                recorded = await models.Step.get_or_none(id=await queue.get())
                if recorded is not None and recorded.index > last_index:
                    last_index = recorded.index
                    yield await shaped_step(info.context, recorded)
