"""The agent engine: one step of a task = one decision by a provider + one tool run.

No HTTP, GraphQL or ORM here: the service passes a `TaskState` and a `Workspace` to `run_step`
and stores the `StepOutcome` it returns.
"""

from agent.engine import DEFAULT_MAX_STEPS, NO_ACTION, run_step
from agent.providers import (
    Decision,
    OfflineProvider,
    OpenAIProvider,
    Provider,
    ProviderError,
    Usage,
    build_provider,
)
from agent.tools import Tool, ToolContext, ToolRegistry, ToolResult, ToolSpec, default_tools, tool
from agent.types import (
    MAX_CITATIONS_PER_STEP,
    MAX_FILES_PER_STEP,
    Action,
    Citation,
    PastStep,
    SourceHit,
    StepOutcome,
    StepResult,
    TaskState,
    ToolError,
    Workspace,
    WorkspaceFile,
    count_steps_since_user_message,
)

__all__ = [
    "DEFAULT_MAX_STEPS",
    "MAX_CITATIONS_PER_STEP",
    "MAX_FILES_PER_STEP",
    "NO_ACTION",
    "Action",
    "Citation",
    "Decision",
    "OfflineProvider",
    "OpenAIProvider",
    "PastStep",
    "Provider",
    "ProviderError",
    "SourceHit",
    "StepOutcome",
    "StepResult",
    "TaskState",
    "Tool",
    "ToolContext",
    "ToolError",
    "ToolRegistry",
    "ToolResult",
    "ToolSpec",
    "Usage",
    "Workspace",
    "WorkspaceFile",
    "build_provider",
    "count_steps_since_user_message",
    "default_tools",
    "run_step",
    "tool",
]
