"""The agent's tools and their registry."""

from agent.tools.control import ask_user, finish
from agent.tools.documents import list_documents, read_document, write_document
from agent.tools.knowledge import search_knowledge
from agent.tools.registry import Tool, ToolContext, ToolRegistry, ToolResult, ToolSpec, tool
from agent.tools.validation import ArgumentsInvalid, validate_arguments

FINISH = "finish"


def default_tools() -> ToolRegistry:
    """A fresh registry of the built-in tools; add your own with `.add(...)`."""
    return ToolRegistry(
        [search_knowledge, read_document, write_document, list_documents, ask_user, finish]
    )


__all__ = [
    "FINISH",
    "ArgumentsInvalid",
    "Tool",
    "ToolContext",
    "ToolRegistry",
    "ToolResult",
    "ToolSpec",
    "default_tools",
    "tool",
    "validate_arguments",
]
