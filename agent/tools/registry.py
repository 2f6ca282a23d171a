"""The tool registry: plain async functions with JSON-schema parameters.

A tool is `async def name(ctx: ToolContext, **arguments) -> ToolResult`, declared with the
`@tool(...)` decorator, which attaches its description and parameter schema. Adding a tool is
writing one such function and putting it in a `ToolRegistry` (see `agent.tools.default_tools`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from agent.tools.validation import validate_arguments
from agent.types import Citation, JSONDict, TaskState, Workspace


@dataclass(frozen=True, slots=True)
class ToolContext:
    """What a tool may use: the task's workspace and the state before this step."""

    workspace: Workspace
    state: TaskState


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A tool's successful answer. `status` is "ok" or "waiting" (a question for the user);
    failures are raised (ToolError) instead. `details` is shown to the model on later steps."""

    summary: str
    details: JSONDict = field(default_factory=dict)
    message: str | None = None
    status: str = "ok"
    citations: tuple[Citation, ...] = ()
    documents_read: tuple[str, ...] = ()
    documents_written: tuple[str, ...] = ()


ToolFunction = Callable[..., Awaitable[ToolResult]]


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool as a provider sees it."""

    name: str
    description: str
    parameters: JSONDict
    final: bool = False


@dataclass(frozen=True, slots=True)
class Tool:
    spec: ToolSpec
    function: ToolFunction

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def final(self) -> bool:
        return self.spec.final

    def validate(self, arguments: object) -> JSONDict:
        """The arguments checked against the schema; raises ArgumentsInvalid."""
        return validate_arguments(self.spec.parameters, arguments)

    async def run(self, context: ToolContext, arguments: JSONDict) -> ToolResult:
        return await self.function(context, **arguments)


def tool(
    *,
    description: str,
    properties: dict[str, JSONDict],
    required: Iterable[str] = (),
    final: bool = False,
    name: str | None = None,
) -> Callable[[ToolFunction], Tool]:
    """Declare an async function as a tool; its name defaults to the function's name."""

    def declare(function: ToolFunction) -> Tool:
        parameters: JSONDict = {
            "type": "object",
            "properties": properties,
            "required": list(required),
            "additionalProperties": False,
        }
        spec = ToolSpec(name or function.__name__, description, parameters, final)
        return Tool(spec, function)

    return declare


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for item in tools:
            self.add(item)

    def add(self, item: Tool) -> None:
        if item.name in self._tools:
            raise ValueError(f"a tool named {item.name!r} is already registered")
        self._tools[item.name] = item

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return list(self._tools)

    def specs(self, only: Iterable[str] | None = None) -> list[ToolSpec]:
        wanted = None if only is None else set(only)
        return [t.spec for t in self._tools.values() if wanted is None or t.name in wanted]

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: Any) -> bool:
        return name in self._tools
