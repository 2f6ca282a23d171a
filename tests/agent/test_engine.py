"""The engine with a scripted provider: every outcome, every failure, the step bound."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from agent import (
    NO_ACTION,
    Action,
    Decision,
    PastStep,
    ProviderError,
    StepResult,
    TaskState,
    ToolContext,
    ToolRegistry,
    ToolResult,
    Usage,
    count_steps_since_user_message,
    default_tools,
    tool,
)
from agent.citations import cited_chunk_ids
from agent.tools.registry import ToolSpec
from tests.agent.conftest import MemoryWorkspace, TaskDriver, error_of, message_of


@dataclass
class ScriptedProvider:
    """Answers queued decisions (or raises queued exceptions); records what it was offered."""

    script: list[Decision | Exception] = field(default_factory=list)
    offered: list[list[str]] = field(default_factory=list)
    states: list[TaskState] = field(default_factory=list)
    name: str = "scripted"

    async def decide(self, state: TaskState, tools: Sequence[ToolSpec]) -> Decision:
        self.offered.append([spec.name for spec in tools])
        self.states.append(state)
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item


def scripted(task: TaskDriver) -> ScriptedProvider:
    assert isinstance(task.provider, ScriptedProvider)
    return task.provider


def decision(tool_name: str, **arguments: object) -> Decision:
    return Decision(tool_name, arguments, f"because {tool_name}", Usage(7, 3))


def driver(workspace: MemoryWorkspace, *script: Decision | Exception, **options: Any) -> TaskDriver:
    return TaskDriver("What does zortium do?", workspace, ScriptedProvider(list(script)), **options)


async def test_a_search_step_cites_its_hits_and_keeps_usage(workspace: MemoryWorkspace):
    ids = workspace.add_knowledge("Metals", "Zortium melts at 1234 degrees.", "Iron rusts.")
    task = driver(workspace, decision("search_knowledge", query="zortium melts"))
    outcome = await task.step()
    assert outcome.result.status == "ok" and outcome.result.error is None
    assert outcome.action.name == "search_knowledge" and not outcome.action.final
    assert outcome.action.parameters == {"query": "zortium melts", "limit": 5}
    assert outcome.action.reasoning == "because search_knowledge"
    assert outcome.citations[0].chunk_id == ids[0]
    assert outcome.result.details["hits"][0]["content"] == "Zortium melts at 1234 degrees."
    usage = outcome.result.details["usage"]
    assert (usage["tokens_in"], usage["tokens_out"]) == (7, 3) and usage["ms"] >= 0
    assert outcome.description.startswith("1. Found 2 passage(s)")


async def test_ask_user_waits_and_finish_is_final_with_known_citations(workspace):
    [chunk] = workspace.add_knowledge("Metals", "Zortium melts at 1234 degrees.")
    task = driver(
        workspace,
        decision("search_knowledge", query="zortium"),
        decision("ask_user", question="Which zortium?"),
        decision("finish", answer=f"It melts at 1234 degrees [{chunk}] (see [1] and [9999])."),
    )
    await task.step()
    asked = await task.step()
    assert (asked.result.status, asked.result.message, asked.action.final) == (
        "waiting",
        "Which zortium?",
        False,
    )
    done = await task.step("The metal one.")
    assert done.action.final and done.result.status == "ok"
    assert message_of(done).startswith("It melts")
    assert [c.chunk_id for c in done.citations] == [chunk]  # [1] and [9999] were never found
    assert done.description.count("\n") == 2


async def test_documents_read_and_written_are_reported(workspace):
    file_id = workspace.add_file("notes.txt", "Zortium is blue.")
    [chunk] = workspace.add_knowledge("Metals", "Zortium melts at 1234 degrees.")
    task = driver(
        workspace,
        decision("list_documents"),
        decision("read_document", name="notes.txt"),
        decision("search_knowledge", query="zortium melts"),
        decision("write_document", filename="out.md", content=f"Melts at 1234 [{chunk}]."),
    )
    listed = await task.step()
    assert listed.result.details["documents"][0]["filename"] == "notes.txt"
    read = await task.step()
    assert read.documents_read == (file_id,) and read.result.details["text"] == "Zortium is blue."
    await task.step()
    wrote = await task.step()
    assert wrote.documents_written == (workspace.files[wrote.documents_written[0]].id,)
    assert [c.chunk_id for c in wrote.citations] == [chunk]


@pytest.mark.parametrize(
    ("bad", "code", "complaint"),
    [
        (
            decision("delete_everything", path="/"),
            "unknown_tool",
            "Unknown tool 'delete_everything'",
        ),
        (decision("search_knowledge", limit=3), "invalid_arguments", "missing 'query'"),
        (decision("read_document", name="nope.txt"), "tool_error", "no file 'nope.txt'"),
    ],
)
async def test_bad_decisions_become_error_steps(workspace, bad, code, complaint):
    task = driver(workspace, bad, decision("list_documents"))
    outcome = await task.step()
    assert outcome.result.status == "error" and not outcome.action.final
    assert complaint in error_of(outcome)
    assert outcome.result.details["error_code"] == code
    assert outcome.action.name == bad.tool and outcome.action.parameters == bad.arguments
    assert (await task.step()).result.status == "ok"  # the task stays usable


async def test_a_crashing_tool_is_reported_without_its_internals(workspace):
    workspace.search_error = RuntimeError("password=hunter2 at db.internal:5432")
    outcome = await driver(workspace, decision("search_knowledge", query="x")).step()
    assert outcome.result.status == "error"
    assert outcome.result.error == "The tool search_knowledge failed unexpectedly."
    assert "hunter2" not in repr(outcome)


async def test_a_hanging_tool_times_out(workspace):
    @tool(description="Never ends.", properties={})
    async def stuck(ctx: ToolContext) -> ToolResult:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    tools = default_tools()
    tools.add(stuck)
    task = driver(workspace, decision("stuck"), tools=tools)
    outcome = await task.step(tool_timeout=0.01)
    assert outcome.result.details["error_code"] == "tool_timeout"
    assert "did not finish within 0.01 seconds" in error_of(outcome)


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (
            ProviderError("timeout", "The model did not answer within 5 seconds."),
            "within 5 seconds",
        ),
        (ValueError("internal detail"), "The model provider failed unexpectedly."),
    ],
)
async def test_provider_failures_become_error_steps(workspace, failure, error):
    task = driver(workspace, failure, decision("list_documents"))
    outcome = await task.step()
    assert outcome.result.status == "error" and error in error_of(outcome)
    assert outcome.action.name == NO_ACTION and outcome.result.details["failed_at"] == "provider"
    assert "internal detail" not in repr(outcome)
    assert (await task.step()).result.status == "ok"


async def test_malformed_arguments_keep_the_tool_name_and_raw_text(workspace):
    failure = ProviderError(
        "invalid_arguments",
        "not JSON",
        tool="finish",
        raw_arguments='{"answer": ',
        usage=Usage(5, 2),
    )
    outcome = await driver(workspace, failure).step()
    assert outcome.action.name == "finish" and not outcome.action.final
    assert outcome.action.parameters == {"_raw_arguments": '{"answer": '}
    assert outcome.result.details["usage"]["tokens_in"] == 5


async def test_custom_tools_join_the_registry(workspace):
    @tool(
        description="Add two numbers.",
        properties={"a": {"type": "integer"}, "b": {"type": "integer"}},
        required=["a", "b"],
    )
    async def add(ctx: ToolContext, a: int, b: int) -> ToolResult:
        return ToolResult(summary=f"{a} + {b} = {a + b}", details={"sum": a + b})

    tools = ToolRegistry([add])
    with pytest.raises(ValueError, match="already registered"):
        tools.add(add)
    task = driver(workspace, decision("add", a=2, b=3), tools=tools)
    outcome = await task.step()
    assert outcome.result.details["sum"] == 5 and scripted(task).offered == [["add"]]


async def test_every_task_ends_within_max_steps_whatever_the_provider_does(workspace):
    searches = [decision("search_knowledge", query=f"q{i}") for i in range(3)]
    task = driver(workspace, *searches, decision("search_knowledge", query="again"), max_steps=4)
    outcomes = [await task.step() for _ in range(4)]
    assert [o.action.final for o in outcomes] == [False, False, False, True]
    assert scripted(task).offered[-1] == ["finish"]
    assert scripted(task).states[-1].steps_left == 1
    forced = outcomes[-1]
    assert forced.action.name == "finish" and forced.result.details["forced"] is True
    assert message_of(forced).startswith("I stopped after 4 steps")


async def test_the_bound_counts_from_the_last_user_message(workspace):
    failing = [ProviderError("rate_limited", "429") for _ in range(4)]
    task = driver(
        workspace, *failing, decision("list_documents"), ProviderError("x", "down"), max_steps=3
    )
    assert [(await task.step()).action.final for _ in range(2)] == [False, False]
    assert (await task.step()).action.final  # third step since the request: forced
    assert not (await task.step("new question")).action.final  # the count restarts
    await task.step()
    last = await task.step()
    assert last.action.final and last.result.status == "ok"
    assert last.result.details["failed_attempt"] == {"action": "none", "error": "down"}


def test_count_steps_since_user_message():
    task = TaskDriver("r", MemoryWorkspace())
    assert count_steps_since_user_message((), None) == 0
    assert count_steps_since_user_message((), "hello") == 0
    task.history = [_past(""), _past("more"), _past(""), _past("")]
    assert count_steps_since_user_message(tuple(task.history), None) == 3
    assert count_steps_since_user_message(tuple(task.history[:1]), None) == 1


def _past(text: str) -> PastStep:
    return PastStep(text, Action("list_documents", {}, "", False), StepResult("ok"))


def test_tool_specs_are_what_providers_see():
    specs = default_tools().specs()
    assert [s.name for s in specs] == [
        "search_knowledge",
        "read_document",
        "write_document",
        "list_documents",
        "ask_user",
        "finish",
    ]
    assert [s.name for s in specs if s.final] == ["finish"]
    assert isinstance(specs[0], ToolSpec)


def test_citation_markers():
    text = "A [12]. B [12, 15; chunk 7] C [chunk:8] D [#9] E [see 3] F [2019a] G [12]"
    assert cited_chunk_ids(text) == [12, 15, 7, 8, 9]
