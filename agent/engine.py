"""One step: one decision by the provider, one tool run, one outcome. It never raises for a
provider or tool failure: those become outcomes with result.status = "error", so the service can
record them and the task stays usable.

Bounded: once `max_steps - 1` steps have run since the user last spoke, the provider is offered
only `finish`, and whatever it does the step ends the task.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field, replace

from agent.citations import citations_in, known_sources, merge
from agent.providers.base import Decision, Provider, ProviderError, Usage
from agent.tools import (
    FINISH,
    ArgumentsInvalid,
    ToolContext,
    ToolRegistry,
    ToolResult,
    ToolSpec,
)
from agent.types import (
    MAX_CITATIONS_PER_STEP,
    MAX_FILES_PER_STEP,
    Action,
    JSONDict,
    StepOutcome,
    StepResult,
    TaskState,
    ToolError,
    Workspace,
)

log = logging.getLogger("taskloom.agent")

DEFAULT_MAX_STEPS = 10
NO_ACTION = "none"
"""The action name recorded when the provider failed before naming a tool."""
DESCRIPTION_LINES = 30
DESCRIPTION_LINE_CHARS = 300


@dataclass(slots=True)
class _Step:
    """What is known so far about the step being built."""

    state: TaskState
    provider: Provider
    started: float
    forced: bool
    max_steps: int
    tool_timeout: float | None
    usage: Usage = field(default_factory=Usage)
    notes: JSONDict = field(default_factory=dict)

    def usage_details(self) -> JSONDict:
        elapsed = round((time.perf_counter() - self.started) * 1000)
        return {
            "tokens_in": self.usage.tokens_in,
            "tokens_out": self.usage.tokens_out,
            "ms": elapsed,
        }


async def run_step(
    state: TaskState,
    workspace: Workspace,
    provider: Provider,
    tools: ToolRegistry,
    max_steps: int = DEFAULT_MAX_STEPS,
    *,
    tool_timeout: float | None = 120.0,
) -> StepOutcome:
    """Take one step of the task described by `state`."""
    max_steps = max(1, max_steps)
    forced = state.steps_since_user_message >= max_steps - 1
    step = _Step(state, provider, time.perf_counter(), forced, max_steps, tool_timeout)
    offered = tools.specs(only=[FINISH]) if forced else tools.specs()
    outcome = await _take_step(step, workspace, tools, offered)
    if forced and not outcome.action.final:
        step.notes["failed_attempt"] = {
            "action": outcome.action.name,
            "error": outcome.result.error,
        }
        return _within_caps(_forced_finish(step))
    return _within_caps(outcome)


def _within_caps(outcome: StepOutcome) -> StepOutcome:
    """One citation per chunk, the first MAX_CITATIONS_PER_STEP; the first MAX_FILES_PER_STEP
    distinct files, whatever a tool reported (a file read and written counts once)."""
    files = dict.fromkeys((*outcome.documents_read, *outcome.documents_written))
    kept = set(list(files)[:MAX_FILES_PER_STEP])
    return replace(
        outcome,
        citations=merge(outcome.citations)[:MAX_CITATIONS_PER_STEP],
        documents_read=tuple(f for f in dict.fromkeys(outcome.documents_read) if f in kept),
        documents_written=tuple(f for f in dict.fromkeys(outcome.documents_written) if f in kept),
    )


async def _take_step(
    step: _Step, workspace: Workspace, tools: ToolRegistry, offered: list[ToolSpec]
) -> StepOutcome:
    state, provider = step.state, step.provider
    view = replace(state, steps_left=max(1, step.max_steps - state.steps_since_user_message))
    try:
        decision = await provider.decide(view, offered)
    except ProviderError as error:
        step.usage = error.usage
        return _provider_failed(step, error)
    except Exception:
        log.exception("provider %s failed", provider.name)
        unexpected = ProviderError("provider_failed", "The model provider failed unexpectedly.")
        return _provider_failed(step, unexpected)
    step.usage = decision.usage
    step.notes.update(decision.notes)
    tool = tools.get(decision.tool)
    if tool is None or decision.tool not in {spec.name for spec in offered}:
        available = ", ".join(spec.name for spec in offered)
        message = f"Unknown tool {decision.tool!r}; the tools are: {available}."
        return _failed(step, decision, "arguments", "unknown_tool", message)
    try:
        arguments = tool.validate(decision.arguments)
    except ArgumentsInvalid as error:
        message = f"Invalid arguments for {tool.name}: {error}."
        return _failed(step, decision, "arguments", "invalid_arguments", message)
    try:
        result = await asyncio.wait_for(
            tool.run(ToolContext(workspace, state), arguments), step.tool_timeout
        )
    except ToolError as error:
        return _failed(step, decision, "tool", "tool_error", str(error))
    except TimeoutError:
        message = f"The tool {tool.name} did not finish within {step.tool_timeout:g} seconds."
        return _failed(step, decision, "tool", "tool_timeout", message)
    except Exception:
        log.exception("tool %s failed", tool.name)
        message = f"The tool {tool.name} failed unexpectedly."
        return _failed(step, decision, "tool", "tool_failed", message)
    return _succeeded(step, decision, arguments, result, final=tool.final)


def _succeeded(
    step: _Step, decision: Decision, arguments: JSONDict, result: ToolResult, *, final: bool
) -> StepOutcome:
    details = {**result.details, **step.notes, "usage": step.usage_details()}
    if step.forced:
        details["forced"] = True
    return StepOutcome(
        action=Action(decision.tool, arguments, decision.reasoning, final),
        result=StepResult(result.status, details, result.summary, None, result.message),
        citations=result.citations,
        documents_read=result.documents_read,
        documents_written=result.documents_written,
        description=_describe(step.state, result.summary),
        context={**step.state.context, **decision.context_updates},
    )


def _failed(
    step: _Step,
    decision: Decision | None,
    failed_at: str,
    code: str,
    message: str,
    *,
    tool: str | None = None,
    parameters: JSONDict | None = None,
) -> StepOutcome:
    details = {
        **step.notes,
        "failed_at": failed_at,
        "error_code": code,
        "usage": step.usage_details(),
    }
    name = decision.tool if decision else tool or NO_ACTION
    action = Action(
        name=name,
        parameters=decision.arguments if decision else parameters or {},
        reasoning=decision.reasoning if decision else "",
        final=False,
    )
    return StepOutcome(
        action=action,
        result=StepResult("error", details, f"{name} failed: {message}", message, None),
        description=_describe(step.state, f"{name} failed: {message}"),
        context=dict(step.state.context),
    )


def _provider_failed(step: _Step, error: ProviderError) -> StepOutcome:
    parameters = {"_raw_arguments": error.raw_arguments} if error.raw_arguments is not None else {}
    return _failed(
        step, None, "provider", error.code, error.message, tool=error.tool, parameters=parameters
    )


def _forced_finish(step: _Step) -> StepOutcome:
    """End the task in the engine's own words when the provider did not finish on its last step."""
    answer = f"I stopped after {step.max_steps} steps without reaching a final answer."
    last = step.state.history[-1].result if step.state.history else None
    if last is not None and (last.message or last.summary):
        answer += f" The last thing I did: {last.message or last.summary}"
    details = {**step.notes, "forced": True, "usage": step.usage_details()}
    summary = "Stopped at the step limit."
    return StepOutcome(
        action=Action(
            FINISH,
            {"answer": answer},
            "The step limit was reached without a final answer, so the task ends here.",
            True,
        ),
        result=StepResult("ok", details, summary, None, answer),
        citations=citations_in(answer, known_sources(step.state)),
        description=_describe(step.state, summary),
        context=dict(step.state.context),
    )


def _describe(state: TaskState, line: str) -> str:
    """The running summary: one line per step, the latest kept."""
    number = len(state.history) + 1
    line = " ".join(line.split())
    if len(line) > DESCRIPTION_LINE_CHARS:
        line = line[: DESCRIPTION_LINE_CHARS - 1] + "…"
    lines = [*state.description.splitlines(), f"{number}. {line}"]
    return "\n".join(lines[-DESCRIPTION_LINES:])
