"""Workspace file tools: list, read and write the task's files."""

from __future__ import annotations

from agent.citations import citations_in, known_sources
from agent.tools.registry import ToolContext, ToolResult, tool
from agent.types import JSONDict, ToolError, WorkspaceFile

READ_TEXT_CHARS = 12000
"""Text of a read file kept in the step's details (what the model sees): a bounded excerpt."""


def file_details(file: WorkspaceFile) -> JSONDict:
    return {
        "id": file.id,
        "filename": file.filename,
        "content_type": file.content_type,
        "size": file.size,
    }


@tool(description="List the files in this task's workspace.", properties={})
async def list_documents(ctx: ToolContext) -> ToolResult:
    files = await ctx.workspace.list_documents()
    names = ", ".join(file.filename for file in files)
    summary = f"{len(files)} file(s) in the workspace: {names}." if files else "No files yet."
    return ToolResult(summary=summary, details={"documents": [file_details(f) for f in files]})


@tool(
    description="Read the text of a workspace file, by file name or id.",
    properties={
        "name": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "description": "The file name or id.",
        }
    },
    required=["name"],
)
async def read_document(ctx: ToolContext, name: str) -> ToolResult:
    file = await ctx.workspace.read_document(name)
    if file.text is None:
        raise ToolError(f"{file.filename!r} has no readable text.")
    truncated = len(file.text) > READ_TEXT_CHARS
    details = {
        "document": file_details(file),
        "text": file.text[:READ_TEXT_CHARS],
        "truncated": truncated,
        "characters": len(file.text),
    }
    summary = f"Read {file.filename} ({len(file.text)} characters"
    summary += ", shown in part)." if truncated else ")."
    return ToolResult(summary=summary, details=details, documents_read=(file.id,))


@tool(
    description=(
        "Write a text file (Markdown welcome) in this task's workspace, replacing any file of "
        "that name. Cite sources as [chunk_id]."
    ),
    properties={
        "filename": {"type": "string", "minLength": 1, "maxLength": 255},
        "content": {"type": "string", "maxLength": 1_000_000},
    },
    required=["filename", "content"],
)
async def write_document(ctx: ToolContext, filename: str, content: str) -> ToolResult:
    if not filename.strip():
        raise ToolError("The file name is blank.")
    file = await ctx.workspace.write_document(filename, content)
    return ToolResult(
        summary=f"Wrote {file.filename} ({file.size} bytes).",
        details={"document": file_details(file)},
        citations=citations_in(content, known_sources(ctx.state)),
        documents_written=(file.id,),
    )
