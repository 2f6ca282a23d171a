"""Tools that talk to the user: a question (the task waits) or the final answer."""

from __future__ import annotations

from agent.citations import citations_in, known_sources
from agent.tools.registry import ToolContext, ToolResult, tool


@tool(
    description=(
        "Ask the user a question when you cannot go on without their answer. "
        "The task waits for their reply."
    ),
    properties={"question": {"type": "string", "minLength": 1, "maxLength": 4000}},
    required=["question"],
)
async def ask_user(ctx: ToolContext, question: str) -> ToolResult:
    return ToolResult(summary=f"Asked the user: {question}", message=question, status="waiting")


@tool(
    description=(
        "Give the final answer to the user and end the task. Cite the passages you used "
        "as [chunk_id]."
    ),
    properties={"answer": {"type": "string", "minLength": 1, "maxLength": 100_000}},
    required=["answer"],
    final=True,
)
async def finish(ctx: ToolContext, answer: str) -> ToolResult:
    citations = citations_in(answer, known_sources(ctx.state))
    return ToolResult(
        summary="Answered the user.",
        message=answer,
        citations=citations,
        details={"cited_chunks": [citation.chunk_id for citation in citations]},
    )
