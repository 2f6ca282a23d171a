"""The signed-in user, and the lists that hang from them."""

from __future__ import annotations

from typing import Annotated

import strawberry

import models
from resolvers.ids import encode_id
from schema.info import Info
from schema.knowledge import Document, documents_connection
from schema.node import Node
from schema.pagination import AFTER_DESCRIPTION, FIRST_DESCRIPTION, Connection
from schema.tasks import Task, TaskFilter, tasks_connection


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

    @strawberry.field(description="Your tasks, newest first.")
    async def tasks(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description=FIRST_DESCRIPTION)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
        filter: Annotated[
            TaskFilter | None,
            strawberry.argument(description="Which tasks to include; null includes them all."),
        ] = None,
    ) -> Connection[Task]:
        return await tasks_connection(info, first, after, filter)

    @strawberry.field(description="Your knowledge-base documents, newest first.")
    async def documents(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description=FIRST_DESCRIPTION)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    ) -> Connection[Document]:
        return await documents_connection(info, first, after)
