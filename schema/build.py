"""The Schema object: roots, extensions and limits."""

from __future__ import annotations

from contextlib import aclosing
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.schema.schema import StreamResult
from strawberry.tools import merge_types
from strawberry.types import ExecutionResult

from gateway.settings import GraphQLLimits
from schema.accounts import AccountMutation, AccountQuery
from schema.errors import log_unexpected, shape_error
from schema.knowledge import KnowledgeMutation, KnowledgeQuery, KnowledgeSubscription
from schema.limits import limits_rule
from schema.tasks import TaskMutation, TaskQuery, TaskSubscription

Query = merge_types("Query", (AccountQuery, TaskQuery, KnowledgeQuery))
Mutation = merge_types("Mutation", (AccountMutation, TaskMutation, KnowledgeMutation))
Subscription = merge_types("Subscription", (TaskSubscription, KnowledgeSubscription))


class TaskloomSchema(strawberry.Schema):
    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        result = await super().execute(*args, **kwargs)
        if result.errors:
            result.errors = [shape_error(error) for error in result.errors]
        return result

    async def stream(self, *args: Any, **kwargs: Any) -> StreamResult:
        return _shaped(await super().stream(*args, **kwargs))

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # Expected failures are answers, not incidents: only the unexpected are logged.
        log_unexpected(errors)


async def _shaped(source: StreamResult) -> StreamResult:
    """Subscriptions' results get the same error codes and masking as single results."""
    async with aclosing(source):
        async for result in source:
            errors = getattr(result, "errors", None)
            if errors:
                result.errors = [shape_error(error) for error in errors]  # type: ignore[union-attr]
            yield result


def build_schema(
    limits: GraphQLLimits | None = None, *, introspection: bool = True
) -> TaskloomSchema:
    limits = limits or GraphQLLimits()
    rules: list[type[ASTValidationRule]] = [limits_rule(limits)]
    # Factories, not instances: each request gets fresh extensions (the caches are shared).
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return TaskloomSchema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions
    )
