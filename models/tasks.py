"""Agent tasks, their steps, the files of their workspace, and what each step cited."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from models.accounts import User
from models.knowledge import Chunk


class Task(Model):
    id = fields.IntField(primary_key=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="tasks", on_delete=fields.CASCADE
    )
    owner_id: int
    title = fields.CharField(max_length=200)
    request = fields.TextField()
    description = fields.TextField(default="")
    context: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    step_count = fields.IntField(default=0)
    # The step guard: set while a step runs (by any process), cleared when it is recorded.
    running_until = fields.DatetimeField(null=True)
    tokens_in = fields.BigIntField(default=0)
    tokens_out = fields.BigIntField(default=0)
    agent_ms = fields.BigIntField(default=0)
    created = fields.DatetimeField(auto_now_add=True)
    completed = fields.DatetimeField(null=True)

    class Meta:
        table = "tasks"
        indexes = (("owner_id", "created"),)


class Step(Model):
    id = fields.IntField(primary_key=True)
    task: fields.ForeignKeyRelation[Task] = fields.ForeignKeyField(
        "models.Task", related_name="steps", on_delete=fields.CASCADE
    )
    task_id: int
    index = fields.IntField()
    input = fields.TextField()
    action: fields.JSONField[dict[str, Any]] = fields.JSONField()
    result: fields.JSONField[dict[str, Any]] = fields.JSONField()
    created = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "steps"
        unique_together = (("task_id", "index"),)


class TaskDocument(Model):
    id = fields.IntField(primary_key=True)
    task: fields.ForeignKeyRelation[Task] = fields.ForeignKeyField(
        "models.Task", related_name="documents", on_delete=fields.CASCADE
    )
    task_id: int
    filename = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=100)
    size = fields.BigIntField()
    sha256 = fields.CharField(max_length=64)
    metadata: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    # Extracted text, for the agent to read and search; None when the file has no text.
    text = fields.TextField(null=True)
    created = fields.DatetimeField(auto_now_add=True)
    updated = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "task_documents"
        unique_together = (("task_id", "filename"),)


class StepDocument(Model):
    """A workspace file a step read or wrote."""

    id = fields.IntField(primary_key=True)
    step: fields.ForeignKeyRelation[Step] = fields.ForeignKeyField(
        "models.Step", related_name="document_links", on_delete=fields.CASCADE
    )
    step_id: int
    document: fields.ForeignKeyRelation[TaskDocument] = fields.ForeignKeyField(
        "models.TaskDocument", related_name="step_links", on_delete=fields.CASCADE
    )
    document_id: int
    role = fields.CharField(max_length=8)  # "read" or "wrote"

    class Meta:
        table = "step_documents"
        unique_together = (("step_id", "document_id", "role"),)


class Citation(Model):
    id = fields.IntField(primary_key=True)
    step: fields.ForeignKeyRelation[Step] = fields.ForeignKeyField(
        "models.Step", related_name="citations", on_delete=fields.CASCADE
    )
    step_id: int
    chunk: fields.ForeignKeyRelation[Chunk] = fields.ForeignKeyField(
        "models.Chunk", related_name="citations", on_delete=fields.CASCADE
    )
    chunk_id: int
    score = fields.FloatField()

    class Meta:
        table = "citations"
