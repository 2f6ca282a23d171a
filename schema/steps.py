"""The steps of a task: what the agent decided, what it got, what it read and cited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types.base import StrawberryObjectDefinition

import models
from resolvers.context import RequestContext
from resolvers.ids import encode_id
from resolvers.step_records import stored_action, stored_result
from schema.info import Info
from schema.knowledge import Chunk
from schema.node import Node
from schema.workspace import TaskDocument

if TYPE_CHECKING:
    from schema.tasks import Task


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

    @classmethod
    def of(cls, stored: dict[str, Any]) -> Action:
        name, parameters, reasoning, final = stored_action(stored)
        return cls(name=name, parameters=JSON(parameters), reasoning=reasoning, final=final)


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

    @classmethod
    def of(cls, stored: dict[str, Any], citations: list[Citation] | None) -> StepResult:
        status, details, summary, error, message = stored_result(stored)
        return cls(
            status=status,
            details=JSON(details),
            summary=summary,
            error=error,
            message=message,
            citations=citations or [],
        )


# The fields of a step that are its row's columns, and what stands in for those not read.
ROW_FIELDS = frozenset({"input", "action", "result", "created"})
NO_ACTION = Action(name="", parameters=JSON({}), reasoning="", final=False)
NO_RESULT = StepResult(
    status="", details=None, summary=None, error=None, message=None, citations=[]
)
NOT_READ = datetime.fromtimestamp(0, UTC)


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
        fields: frozenset[str] = ROW_FIELDS,
        documents: list[TaskDocument] | None = None,
        citations: list[Citation] | None = None,
    ) -> Step:
        """The step with its relations, loaded beforehand in a batch; of `ROW_FIELDS`, those
        not in `fields` were not read (the rows lack them): like a relation that was not asked
        for, they are left empty."""
        return cls(
            id=strawberry.ID(encode_id("Step", step.id)),
            index=step.index,
            input=step.input if "input" in fields else "",
            action=Action.of(step.action) if "action" in fields else NO_ACTION,
            result=StepResult.of(step.result, citations) if "result" in fields else NO_RESULT,
            created=step.created if "created" in fields else NOT_READ,
            task_pk=step.task_id,
            pk=step.id,
            documents=documents or [],
        )

    @strawberry.field(description="The task the step belongs to.")
    async def task(self, info: Info) -> Annotated[Task, strawberry.lazy("schema.tasks")]:
        task = await info.context.loaders.task_by_id.load(self.task_pk)
        assert task is not None  # a step's task exists while the step does
        # The Task type is the schema's, not an import: schema.tasks imports this module.
        task_type = info.schema.get_type_by_name("Task")
        assert isinstance(task_type, StrawberryObjectDefinition)
        shaped: Task = task_type.origin.of(task)
        return shaped


async def shaped_steps(
    context: RequestContext,
    rows: list[models.Step],
    *,
    fields: frozenset[str] = ROW_FIELDS,
    documents: bool = True,
    citations: bool = True,
) -> list[Step]:
    """Steps with the relations asked for, loaded in batches (every page of a nested read
    awaits here in the same turn of the loop, so the loaders batch across pages too); `fields`
    as in `Step.of`."""
    ids = [row.id for row in rows]
    loaders, secret = context.loaders, context.settings.jwt_secret
    files = await loaders.documents_by_step.load_many(ids) if documents else [[]] * len(ids)
    cited = await loaders.citations_by_step.load_many(ids) if citations else [[]] * len(ids)
    # A file read by many steps is shaped once and shared.
    unique = {d.id: d for row_files in files for d in row_files}
    shaped = {pk: TaskDocument.of(d, secret) for pk, d in unique.items()}
    return [
        Step.of(
            row,
            fields=fields,
            documents=[shaped[document.id] for document in row_files],
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
