"""Test doubles for the agent engine: an in-memory Workspace (our own Protocol), a driver that
plays the service's part (builds the state, records each outcome), and the fake OpenAI server."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from agent import (
    OfflineProvider,
    PastStep,
    Provider,
    SourceHit,
    StepOutcome,
    TaskState,
    ToolError,
    ToolRegistry,
    WorkspaceFile,
    count_steps_since_user_message,
    default_tools,
    run_step,
)
from agent.text import content_terms
from tests.fakes.openai_server import FakeOpenAI


@dataclass
class Chunk:
    chunk_id: int
    document_id: str
    title: str
    content: str


class MemoryWorkspace:
    """Knowledge chunks plus workspace files. Like hybrid search, `search` always returns the
    nearest passages, relevant or not, each with a positive score."""

    def __init__(self) -> None:
        self.knowledge: list[Chunk] = []
        self.files: dict[str, WorkspaceFile] = {}
        self.file_chunks: dict[str, list[Chunk]] = {}
        self.searches: list[str] = []
        self.search_error: Exception | None = None
        self._ids = itertools.count(100)

    def add_knowledge(self, title: str, *contents: str) -> list[int]:
        document_id = f"doc-{next(self._ids)}"
        chunks = [Chunk(next(self._ids), document_id, title, text) for text in contents]
        self.knowledge.extend(chunks)
        return [chunk.chunk_id for chunk in chunks]

    def add_file(self, filename: str, text: str | None, content_type: str = "text/plain") -> str:
        file_id = f"file-{next(self._ids)}"
        size = len((text or "").encode())
        self.files[file_id] = WorkspaceFile(file_id, filename, content_type, size, text)
        self.file_chunks[file_id] = [Chunk(next(self._ids), file_id, filename, text or "")]
        return file_id

    def chunk_of(self, file_id: str) -> int:
        return self.file_chunks[file_id][0].chunk_id

    async def search(self, query: str, limit: int) -> list[SourceHit]:
        self.searches.append(query)
        if self.search_error is not None:
            raise self.search_error
        terms = content_terms(query)
        pool = [(chunk, "knowledge") for chunk in self.knowledge]
        pool += [(c, "workspace") for chunks in self.file_chunks.values() for c in chunks]
        scored = []
        for chunk, origin in pool:
            shared = len(terms & content_terms(chunk.content)) / max(1, len(terms))
            scored.append((0.05 + shared, chunk, origin))
        scored.sort(key=lambda item: -item[0])
        return [
            SourceHit(c.chunk_id, c.document_id, c.title, c.content, score, origin)  # type: ignore[arg-type]
            for score, c, origin in scored[:limit]
        ]

    async def list_documents(self) -> list[WorkspaceFile]:
        return list(self.files.values())

    async def read_document(self, name_or_id: str) -> WorkspaceFile:
        for file in self.files.values():
            if name_or_id in (file.id, file.filename):
                return file
        raise ToolError(f"There is no file {name_or_id!r} in this task's workspace.")

    async def write_document(self, filename: str, text: str) -> WorkspaceFile:
        for file_id, file in list(self.files.items()):
            if file.filename == filename:
                del self.files[file_id]
                del self.file_chunks[file_id]
        file_id = self.add_file(filename, text, "text/markdown")
        return self.files[file_id]


@dataclass
class TaskDriver:
    """Plays the service: keeps the task's rows, builds each TaskState, records each outcome."""

    request: str
    workspace: MemoryWorkspace
    provider: Provider = field(default_factory=OfflineProvider)
    tools: ToolRegistry = field(default_factory=default_tools)
    max_steps: int = 10
    description: str = ""
    context: dict[str, object] = field(default_factory=dict)
    history: list[PastStep] = field(default_factory=list)
    outcomes: list[StepOutcome] = field(default_factory=list)

    def state(self, message: str | None = None) -> TaskState:
        history = tuple(self.history)
        return TaskState(
            request=self.request,
            description=self.description,
            context=dict(self.context),
            history=history,
            message=message,
            steps_since_user_message=count_steps_since_user_message(history, message),
        )

    async def step(self, message: str | None = None, **options: float) -> StepOutcome:
        outcome = await run_step(
            self.state(message),
            self.workspace,
            self.provider,
            self.tools,
            self.max_steps,
            **options,
        )
        self.history.append(PastStep(message or "", outcome.action, outcome.result))
        self.outcomes.append(outcome)
        self.description, self.context = outcome.description, outcome.context
        return outcome

    async def run_until_final(self, limit: int = 20) -> StepOutcome:
        for _ in range(limit):
            outcome = await self.step()
            if outcome.action.final:
                return outcome
        raise AssertionError(f"no final step in {limit} steps")


def message_of(outcome: StepOutcome) -> str:
    assert outcome.result.message is not None
    return outcome.result.message


def error_of(outcome: StepOutcome) -> str:
    assert outcome.result.error is not None
    return outcome.result.error


@pytest.fixture
def workspace() -> MemoryWorkspace:
    return MemoryWorkspace()


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(embedding_dimension=8) as server:
        yield server


@pytest.fixture
def fake_openai(fake_server: FakeOpenAI) -> Iterator[FakeOpenAI]:
    fake_server.reset()
    yield fake_server
    fake_server.release()
