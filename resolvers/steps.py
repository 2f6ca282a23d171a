"""One step of a task: guard, decide and act (the agent engine), record, answer.

The guard lives in the database (a conditional update of `running_until`), so two steps on one
task never run at once, whatever process serves them; the second gets CONFLICT. A step is
always recorded before the answer, as an error step if need be; its index is the task's step
count, so indexes are unique and dense.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from agent import (
    NO_ACTION,
    Action,
    PastStep,
    StepOutcome,
    StepResult,
    TaskState,
    count_steps_since_user_message,
    run_step,
)
from infra import metrics
from infra.errors import Conflict, NotFound
from models import Chunk, Citation, Step, StepDocument, Task
from resolvers.context import RequestContext
from resolvers.ids import decode_id, pk_of
from resolvers.step_records import stored_action, stored_result
from resolvers.tasks import check_message
from resolvers.workspace import TaskWorkspace

logger = logging.getLogger("taskloom.steps")

GUARD_MARGIN_SECONDS = 30


def task_topic(task_id: int) -> str:
    return f"task:{task_id}"


def past_step(step: Step) -> PastStep:
    return PastStep(
        input=step.input,
        action=Action(*stored_action(step.action)),
        result=StepResult(*stored_result(step.result)),
    )


async def viewer_step(context: RequestContext, pk: int) -> Step | None:
    """The step `pk` of one of the viewer's tasks, or None."""
    viewer = await context.viewer()
    return await Step.get_or_none(id=pk, task__owner_id=viewer.id)


async def steps_after(task: Task, index: int) -> list[Step]:
    """The task's steps after position `index`, in order (a subscription's new ones)."""
    return await Step.filter(task_id=task.id, index__gt=index).order_by("index")


async def step_task(context: RequestContext, task_id: str, message: str | None) -> Step:
    user = await context.viewer()
    owned = Task.filter(id=pk_of(task_id, "Task"), owner_id=user.id)
    text = check_message(message, required=False)
    settings = context.settings.agent
    now = datetime.now(UTC)
    until = now + timedelta(seconds=settings.step_timeout_seconds + GUARD_MARGIN_SECONDS)
    free = Q(running_until__isnull=True) | Q(running_until__lt=now)
    if not await owned.filter(free).update(running_until=until):
        if not await owned.exists():
            raise NotFound("No task with this id")
        raise Conflict("A step of this task is already running; try again when it has ended")
    try:
        # Read once the guard is held: what an earlier step left is all there.
        task = await owned.get_or_none()
        if task is None:  # deleted since
            raise NotFound("No task with this id")
        history = [past_step(step) for step in await Step.filter(task_id=task.id).order_by("index")]
        state = TaskState(
            request=task.request,
            description=task.description,
            context=task.context,
            history=history,
            message=text or None,
            steps_since_user_message=count_steps_since_user_message(history, text or None),
        )
        outcome = await _decide_and_act(context, state, TaskWorkspace(context, user, task))
        step = await _record(task, user.id, text, outcome)
        metrics.count_step(outcome.result.status)
    finally:
        await owned.update(running_until=None)
    context.services.events.publish(task_topic(task.id), step.id)
    return step


async def _decide_and_act(
    context: RequestContext, state: TaskState, workspace: TaskWorkspace
) -> StepOutcome:
    settings = context.settings.agent
    engine = context.services.agent
    started = asyncio.get_running_loop().time()
    try:
        async with asyncio.timeout(settings.step_timeout_seconds):
            return await run_step(
                state, workspace, engine.provider, engine.tools, max_steps=settings.max_steps
            )
    except TimeoutError:
        reason = f"The step took longer than {settings.step_timeout_seconds} seconds"
    except Exception:
        logger.exception("a step failed unexpectedly")
        reason = "The step failed unexpectedly; it was recorded and the task can go on"
    elapsed = round((asyncio.get_running_loop().time() - started) * 1000)
    return StepOutcome(
        action=Action(name=NO_ACTION, parameters={}, reasoning="", final=False),
        result=StepResult(
            status="error",
            details={"usage": {"tokens_in": 0, "tokens_out": 0, "ms": elapsed}},
            error=reason,
        ),
        description=state.description,
        context=dict(state.context),
    )


async def _record(task: Task, owner_id: int, text: str, outcome: StepOutcome) -> Step:
    usage: dict[str, Any] = outcome.result.details.get("usage") or {}
    cited = {citation.chunk_id: citation.score for citation in outcome.citations}
    owned_chunks: set[int] = set()
    if cited:  # only the user's own chunks can be cited
        rows = await Chunk.filter(id__in=list(cited), document__owner_id=owner_id).values("id")
        owned_chunks = {row["id"] for row in rows}
    async with in_transaction():
        await task.refresh_from_db(fields=["step_count"])
        step = await Step.create(
            task_id=task.id,
            index=task.step_count,
            input=text,
            action=asdict(outcome.action),
            result=asdict(outcome.result),
        )
        await Citation.bulk_create(
            [
                Citation(step_id=step.id, chunk_id=c, score=s)
                for c, s in cited.items()
                if c in owned_chunks
            ]
        )
        links = [(gid, "read") for gid in outcome.documents_read]
        links += [(gid, "wrote") for gid in outcome.documents_written]
        await StepDocument.bulk_create(
            [
                StepDocument(step_id=step.id, document_id=decoded[1], role=role)
                for gid, role in dict.fromkeys(links)
                if (decoded := decode_id(gid)) is not None and decoded[0] == "TaskDocument"
            ]
        )
        await Task.filter(id=task.id).update(
            step_count=F("step_count") + 1,
            description=outcome.description,
            context=outcome.context,
            completed=datetime.now(UTC) if outcome.action.final else None,
            tokens_in=F("tokens_in") + int(usage.get("tokens_in", 0)),
            tokens_out=F("tokens_out") + int(usage.get("tokens_out", 0)),
            agent_ms=F("agent_ms") + int(usage.get("ms", 0)),
        )
    return step
