"""The Schema object: roots, extensions and limits."""

from __future__ import annotations

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
from strawberry.tools import merge_types
from strawberry.types import ExecutionResult

from gateway.settings import GraphQLLimits
from schema.accounts import AccountMutation, AccountQuery
from schema.errors import log_unexpected, shape_error
from schema.limits import limits_rule

Query = merge_types("Query", (AccountQuery,))
Mutation = merge_types("Mutation", (AccountMutation,))


class TaskloomSchema(strawberry.Schema):
    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        result = await super().execute(*args, **kwargs)
        if result.errors:
            result.errors = [shape_error(error) for error in result.errors]
        return result

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # Expected failures are answers, not incidents: only the unexpected are logged.
        log_unexpected(errors)


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
    return TaskloomSchema(query=Query, mutation=Mutation, extensions=extensions)
