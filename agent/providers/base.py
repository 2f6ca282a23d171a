"""What a model provider is: one decision (a tool and its arguments) from the task state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from agent.tools.registry import ToolSpec
from agent.types import JSONDict, TaskState


@dataclass(frozen=True, slots=True)
class Usage:
    tokens_in: int = 0
    tokens_out: int = 0


@dataclass(frozen=True, slots=True)
class Decision:
    """The tool to run and its arguments, with the provider's reasoning. `context_updates` are
    merged into the task's context (the agent's memory); `notes` land in the step's details."""

    tool: str
    arguments: JSONDict
    reasoning: str
    usage: Usage = field(default_factory=Usage)
    context_updates: JSONDict = field(default_factory=dict)
    notes: JSONDict = field(default_factory=dict)


class ProviderError(Exception):
    """The provider could not produce a usable decision. `message` is safe to show the user;
    `tool` and `raw_arguments` are filled in when the model did name a tool."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        tool: str | None = None,
        raw_arguments: str | None = None,
        usage: Usage | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.tool = tool
        self.raw_arguments = raw_arguments
        self.usage = usage or Usage()


class Provider(Protocol):
    name: str

    async def decide(self, state: TaskState, tools: Sequence[ToolSpec]) -> Decision:
        """Choose one of `tools` for the next step. Raises ProviderError when it cannot."""
        ...
