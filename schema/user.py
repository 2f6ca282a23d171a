"""The signed-in user, and the lists that hang from them."""

from __future__ import annotations

import strawberry

import models
from resolvers.ids import encode_id
from schema.knowledge import KnowledgeDocument, your_documents
from schema.node import Node
from schema.pagination import Connection
from schema.tasks import Task, your_tasks


@strawberry.type(description="A person with an account.")
class User(Node):
    username: str = strawberry.field(description="Unique sign-in name.")
    name: str = strawberry.field(description="Display name.")
    email: str = strawberry.field(description="Email address, lower-cased.")

    @classmethod
    def of(cls, user: models.User) -> User:
        return cls(
            id=strawberry.ID(encode_id("User", user.id)),
            username=user.username,
            name=user.name,
            email=user.email,
        )

    tasks: Connection[Task] = strawberry.field(
        resolver=your_tasks, description="Your tasks, newest first."
    )
    documents: Connection[KnowledgeDocument] = strawberry.field(
        resolver=your_documents, description="Your knowledge-base documents, newest first."
    )
