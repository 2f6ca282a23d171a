"""Each mutation's answer shows the state it left.

Mutation fields run one after another, and a request's dataloaders cache what they read; so
after a mutation resolves, the request starts on fresh loaders: its own answer, and the next
mutation's, read what is there now, not what an earlier field cached.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.types import get_object_definition

from schema.info import Info


class FreshReadsAfterWrite(FieldExtension):
    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        result = next_(source, info, **kwargs)
        info.context.forget_reads()
        return result

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        result = await next_(source, info, **kwargs)
        info.context.forget_reads()
        return result


def fresh_reads_after_each(mutation: type) -> type:
    """`mutation`'s fields, each followed by fresh loaders."""
    for field in get_object_definition(mutation, strict=True).fields:
        field.extensions.append(FreshReadsAfterWrite())
    return mutation
