"""The files of a task's workspace."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

import models
from resolvers.downloads import download_url
from resolvers.ids import encode_id
from schema.info import Info
from schema.node import Node


@strawberry.type(description="A file of a task's workspace.")
class TaskDocument(Node):
    task_id: strawberry.ID = strawberry.field(description="The global id of the file's task.")
    filename: str = strawberry.field(
        description="The file's name, unique within the task: an upload whose name is taken gets "
        "` (2)`, ` (3)`… before its extension."
    )
    content_type: str = strawberry.field(description="The file's media type, e.g. `text/markdown`.")
    size: int = strawberry.field(description="The file's size in bytes.")
    metadata: JSON = strawberry.field(
        description="Facts about the file as a JSON object: `source`, `sha256` and, when its text "
        "cannot be read, `textError` for uploads; `author: agent` for files the agent wrote."
    )
    pk: strawberry.Private[int]
    secret: strawberry.Private[str]

    @strawberry.field(
        description="The file's text, as the agent reads it; null when none could be extracted."
    )
    async def text(self, info: Info) -> str | None:
        # Loaded only when asked for: a nested read of thousands of files needs no texts.
        return await info.context.loaders.task_document_text.load(self.pk)

    @strawberry.field(
        description="A signed path on this server to download the bytes without a token; it "
        "works for about an hour."
    )
    def download_url(self) -> str:
        return download_url(self.secret, "TaskDocument", self.pk)

    @classmethod
    def of(cls, document: models.TaskDocument, secret: str) -> TaskDocument:
        return cls(
            id=strawberry.ID(encode_id("TaskDocument", document.id)),
            task_id=strawberry.ID(encode_id("Task", document.task_id)),
            filename=document.filename,
            content_type=document.content_type,
            size=document.size,
            metadata=JSON(document.metadata),
            pk=document.id,
            secret=secret,
        )
