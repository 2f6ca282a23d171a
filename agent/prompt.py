"""The system prompt and the chat messages a model sees, rebuilt from the task state each step.

The state is the only memory: every past step becomes an assistant tool call followed by its tool
result, so any process can take the next step of any task.
"""

from __future__ import annotations

import json
import re
from typing import Any

from agent.types import JSONDict, PastStep, TaskState

SYSTEM_PROMPT = """\
You are Taskloom's assistant. You work on one task for one user, one step at a time: at each \
step you call exactly one tool, then you see its result at the next step.

How to work:
- Look for facts with search_knowledge (the user's documents and this task's files) before \
answering; use list_documents and read_document for the task's files.
- Ground every claim in the passages you found and cite them as [chunk_id] right after the \
claim. Never invent a chunk id or a fact. If the documents do not hold the answer, say so plainly.
- Use write_document to save longer work in the workspace (for example answer.md).
- Use ask_user only when you cannot go on without the user; do not ask twice for the same thing.
- Call finish with the complete answer for the user when you are done.
- Before calling the tool, write one short sentence saying why you chose it."""

_TOOL_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]")

TOOL_RESULT_CHARS = 6000
"""Tool output shown back to the model per step: bounded so a long history still fits."""


def system_message(state: TaskState, *, steps_left: int, omitted: int) -> str:
    parts = [SYSTEM_PROMPT]
    if state.description:
        parts.append(f"Summary of the task so far:\n{state.description}")
    if state.context:
        parts.append(f"Your notes (task memory): {_compact(state.context)}")
    if omitted:
        parts.append(f"({omitted} earlier steps are left out; the summary covers them.)")
    if steps_left <= 1:
        parts.append("This is your last step: call finish now with your best answer.")
    else:
        parts.append(f"You have at most {steps_left} steps left to finish.")
    return "\n\n".join(parts)


def build_messages(
    state: TaskState, *, steps_left: int, max_history_steps: int = 40
) -> list[dict[str, Any]]:
    """Chat-completions messages: system, the request, the past steps, then the new message."""
    history = state.history[-max_history_steps:] if max_history_steps else ()
    omitted = len(state.history) - len(history)
    messages: list[dict[str, Any]] = [
        {
            "role": "system",
            "content": system_message(state, steps_left=steps_left, omitted=omitted),
        },
        {"role": "user", "content": state.request},
    ]
    for offset, step in enumerate(history):
        index = omitted + offset
        if step.input and not (index == 0 and step.input == state.request):
            messages.append({"role": "user", "content": step.input})
        messages.extend(_step_messages(step, call_id=f"call_{index}"))
    if state.message:
        messages.append({"role": "user", "content": state.message})
    return messages


def _step_messages(step: PastStep, *, call_id: str) -> list[dict[str, Any]]:
    failed_at = step.result.details.get("failed_at")
    if failed_at == "provider" and "_raw_arguments" not in step.action.parameters:
        return []  # the model never answered (time-out, 429...): nothing of its own to show it
    name = _TOOL_NAME_CHARS.sub("_", step.action.name)[:64] or "unknown_tool"
    call = {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": _compact(step.action.parameters)},
    }
    return [
        {"role": "assistant", "content": step.action.reasoning or None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call_id, "content": tool_result_text(step)},
    ]


def tool_result_text(step: PastStep) -> str:
    result = step.result
    shown: JSONDict = {"status": result.status}
    for key, value in (
        ("summary", result.summary),
        ("message", result.message),
        ("error", result.error),
    ):
        if value:
            shown[key] = value
    details = {key: value for key, value in result.details.items() if key != "usage"}
    if details:
        shown["details"] = details
    text = _compact(shown)
    if len(text) > TOOL_RESULT_CHARS:
        text = text[:TOOL_RESULT_CHARS] + " …(cut)"
    return text


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
