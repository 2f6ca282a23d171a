"""The one reader of a step's stored decision and outcome: the JSON columns `action` and `result`
of models.Step, written from the engine's Action and StepResult (resolvers/steps.py). The engine
reads past steps through it, and the schema shapes steps for GraphQL through it. Tuples, not
objects: a nested read shapes thousands of steps."""

from __future__ import annotations

from typing import Any

from agent import NO_ACTION

JSONDict = dict[str, Any]


def stored_action(stored: JSONDict) -> tuple[str, JSONDict, str, bool]:
    """(name, parameters, reasoning, final) of a stored action."""
    return (
        stored.get("name", NO_ACTION),
        stored.get("parameters") or {},
        stored.get("reasoning", ""),
        bool(stored.get("final")),
    )


def stored_result(stored: JSONDict) -> tuple[str, JSONDict, str | None, str | None, str | None]:
    """(status, details, summary, error, message) of a stored result; one without a status is
    an error."""
    return (
        stored.get("status", "error"),
        stored.get("details") or {},
        stored.get("summary"),
        stored.get("error"),
        stored.get("message"),
    )
