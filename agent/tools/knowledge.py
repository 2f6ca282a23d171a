"""search_knowledge: the user's knowledge base and this task's workspace files, with citations."""

from __future__ import annotations

from agent.tools.registry import ToolContext, ToolResult, tool
from agent.types import Citation, JSONDict, SourceHit

HIT_CONTENT_CHARS = 2000
"""Hit text kept in the step's details: enough for a chunk, bounded for the model's context."""


def hit_details(hit: SourceHit) -> JSONDict:
    return {
        "chunk_id": hit.chunk_id,
        "document_id": hit.document_id,
        "document_title": hit.document_title,
        "origin": hit.origin,
        "score": round(hit.score, 6),
        "content": hit.content[:HIT_CONTENT_CHARS],
    }


@tool(
    description=(
        "Search the user's knowledge base and this task's workspace files. Returns the most "
        "relevant passages, each with a chunk_id to cite as [chunk_id]."
    ),
    properties={
        "query": {
            "type": "string",
            "minLength": 1,
            "maxLength": 1000,
            "description": "What to look for, in words likely to appear in the text.",
        },
        "limit": {
            "type": "integer",
            "minimum": 1,
            "maximum": 20,
            "default": 5,
            "description": "How many passages to return.",
        },
    },
    required=["query"],
)
async def search_knowledge(ctx: ToolContext, query: str, limit: int = 5) -> ToolResult:
    hits = await ctx.workspace.search(query, limit)
    citations = tuple(Citation(h.chunk_id, h.score) for h in hits if h.chunk_id is not None)
    titles = sorted({hit.document_title for hit in hits})
    summary = (
        f"Found {len(hits)} passage(s) for {query!r} in {', '.join(titles)}."
        if hits
        else f"Found nothing for {query!r}."
    )
    return ToolResult(
        summary=summary,
        details={"query": query, "hits": [hit_details(hit) for hit in hits]},
        citations=citations,
    )
