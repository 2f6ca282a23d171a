"""Tortoise ORM models; the migration history lives in models/migrations."""

from models.accounts import InviteCode, InviteRedemption, LoginThrottle, User
from models.knowledge import Chunk, IngestionJob, IngestionStatus, KnowledgeDocument
from models.tasks import Citation, Step, StepDocument, Task, TaskDocument

__all__ = [
    "Chunk",
    "Citation",
    "IngestionJob",
    "IngestionStatus",
    "InviteCode",
    "InviteRedemption",
    "KnowledgeDocument",
    "LoginThrottle",
    "Step",
    "StepDocument",
    "Task",
    "TaskDocument",
    "User",
]
