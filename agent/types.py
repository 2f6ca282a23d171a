"""The boundary between the agent engine and the service that persists tasks.

The service builds a `TaskState` from its rows, implements `Workspace` over its storage and
retrieval, calls `agent.run_step` once per step and stores the `StepOutcome` it gets back. Nothing
here knows about HTTP, GraphQL or the ORM.

Ids are strings (as the API shows them), except chunk ids, which are the service's integer keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

JSONDict = dict[str, Any]
"""A JSON object: str keys, JSON-serialisable values."""

Origin = Literal["knowledge", "workspace"]


class ToolError(Exception):
    """An expected tool failure whose message is safe and useful to show the user and the model
    (an unknown document, a file without text). Any other exception is reported generically."""


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    parameters: JSONDict
    reasoning: str
    final: bool


@dataclass(frozen=True, slots=True)
class StepResult:
    """`status` is "ok", "error" or "waiting" (a question for the user). `details` always holds
    `usage` = {tokens_in, tokens_out, ms} in the outcomes the engine returns."""

    status: str
    details: JSONDict = field(default_factory=dict)
    summary: str | None = None
    error: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class Citation:
    chunk_id: int
    score: float


@dataclass(frozen=True, slots=True)
class PastStep:
    """One recorded step as the service stored it. `input` is the user message given to that step
    ("" when none); `result.details` is passed back verbatim, because providers plan from it
    (search hits, written files)."""

    input: str
    action: Action
    result: StepResult


@dataclass(frozen=True, slots=True)
class TaskState:
    """Everything the engine knows about a task before a step.

    `steps_since_user_message` counts the recorded steps since the user last spoke: 0 when
    `message` is set; otherwise the number of steps since (and including) the latest step with a
    non-empty `input`, or all steps when none had one. `count_steps_since_user_message` computes it.
    `steps_left` is set by the engine for the provider (the step budget left, this one included);
    the service leaves it None.
    """

    request: str
    description: str = ""
    context: JSONDict = field(default_factory=dict)
    history: Sequence[PastStep] = ()
    message: str | None = None
    steps_since_user_message: int = 0
    steps_left: int | None = None

    @property
    def latest_user_message(self) -> str:
        """The newest thing the user said: this step's message, a past input, or the request."""
        if self.message:
            return self.message
        for step in reversed(self.history):
            if step.input:
                return step.input
        return self.request


def count_steps_since_user_message(history: Sequence[PastStep], message: str | None) -> int:
    if message:
        return 0
    count = 0
    for step in reversed(history):
        count += 1
        if step.input:
            break
    return count


@dataclass(frozen=True, slots=True)
class SourceHit:
    """A search hit from the user's knowledge base or this task's workspace files."""

    chunk_id: int | None
    document_id: str
    document_title: str
    content: str
    score: float
    origin: Origin


@dataclass(frozen=True, slots=True)
class WorkspaceFile:
    """A file of the task's workspace. `text` is the extracted text; None when the listing does
    not carry it or the file has no readable text."""

    id: str
    filename: str
    content_type: str
    size: int
    text: str | None = None


class Workspace(Protocol):
    """What the service offers the tools for one task and its user."""

    async def search(self, query: str, limit: int) -> list[SourceHit]:
        """Search the user's knowledge base and this task's workspace files, best first."""
        ...

    async def list_documents(self) -> list[WorkspaceFile]:
        """The task's workspace files (text may be None)."""
        ...

    async def read_document(self, name_or_id: str) -> WorkspaceFile:
        """A workspace file by id or file name, with its text. Raises ToolError when unknown."""
        ...

    async def write_document(self, filename: str, text: str) -> WorkspaceFile:
        """Create, or replace, the workspace file of that name with UTF-8 text (the service
        sanitises the name) and make it searchable within the task."""
        ...


MAX_CITATIONS_PER_STEP = 10
"""The most citations one step records: a search's best ten (hits come best first), an answer's
first ten. GraphQL's cost estimate sizes a step's `citations` by it, so it must stay small
enough for a nested read of 100 tasks x 20 steps to pass the default cost limit."""
MAX_FILES_PER_STEP = 2
"""The most workspace files one step records as read or written (the file tools touch one
each). GraphQL's cost estimate sizes a step's `documents` by it."""


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """What one step did. `description` and `context` are the task's new values, to be stored.
    The engine returns at most MAX_CITATIONS_PER_STEP citations and MAX_FILES_PER_STEP files."""

    action: Action
    result: StepResult
    citations: tuple[Citation, ...] = ()
    documents_read: tuple[str, ...] = ()
    documents_written: tuple[str, ...] = ()
    description: str = ""
    context: JSONDict = field(default_factory=dict)
