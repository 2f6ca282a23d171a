"""The Schema object: roots, extensions and limits."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import aclosing
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import AddValidationRules, DisableIntrospection, MaxTokensLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StreamResult
from strawberry.tools import merge_types
from strawberry.types import ExecutionResult, get_object_definition
from strawberry.types.execution import PreExecutionError

from infra.errors import Unauthenticated
from infra.settings.values import GraphQLLimits
from resolvers.context import RequestContext
from schema.accounts import AccountMutation, AccountQuery
from schema.document_cache import Documents, parse_and_validate
from schema.errors import log_unexpected, shape_error
from schema.execution import FastExecutionContext
from schema.fresh_reads import fresh_reads_after_each
from schema.knowledge import KnowledgeMutation, KnowledgeQuery, KnowledgeSubscription
from schema.limits import batch_budget, limits_rule
from schema.nodes import NodeQuery
from schema.persisted import PersistedQueries
from schema.tasks import TaskMutation, TaskQuery, TaskSubscription


def _described(root: type, description: str) -> type:
    """A merged root type with the description GraphiQL's docs show for it."""
    get_object_definition(root, strict=True).description = description
    return root


Query = _described(
    merge_types("Query", (AccountQuery, NodeQuery, TaskQuery, KnowledgeQuery)),
    "Everything you can read: your account, tasks, knowledge base and search; every field needs "
    "a signed-in user (`Authorization: Bearer <token>`).",
)
Mutation = _described(
    fresh_reads_after_each(
        merge_types("Mutation", (AccountMutation, TaskMutation, KnowledgeMutation))
    ),
    "Everything you can change: your account, tasks and their steps, and your knowledge base; "
    "all but `register` and `login` need a signed-in user.",
)
Subscription = _described(
    merge_types("Subscription", (TaskSubscription, KnowledgeSubscription)),
    "Live updates over a WebSocket (graphql-transport-ws), signed in by an `Authorization: "
    "Bearer <token>` entry in the connection_init payload.",
)


class TaskloomSchema(strawberry.Schema):
    """Strawberry's schema with automatic persisted queries, and errors given their codes and
    masks (schema/errors.py) on every result, single or streamed. The shaping is done here, in
    `execute` and `stream`, rather than in an extension's `on_operation` as Strawberry's
    MaskErrors does: an extension costs each operation 7 µs more, 1.11x an in-process
    `{ __typename }` (65 µs) and 1.18x a refused document (`python bench/error_shaping.py`,
    medians of 7 rounds of 3,000 calls, 2026-12-07)."""

    persisted: PersistedQueries
    documents: Documents

    async def execute(  # type: ignore[override]
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Any = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        extension = (operation_extensions or {}).get("persistedQuery")
        registering: str | None = None
        if extension is not None:
            try:
                query, registering = self.persisted.resolve(query, extension)
            except GraphQLError as error:
                return ExecutionResult(data=None, errors=[error])
        result = await super().execute(
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            allowed_operation_types=allowed_operation_types,
            operation_extensions=operation_extensions,
        )
        if (
            registering is not None
            and query is not None
            and _ran(result)
            and await _signed_in(context_value)
        ):
            self.persisted.remember(registering, query)
        if result.errors:
            result.errors = [shape_error(error) for error in result.errors]
        return result

    def _get_custom_context_kwargs(
        self, operation_extensions: dict[str, Any] | None = None, *, sync: bool = False
    ) -> dict[str, Any]:
        # What Strawberry hands graphql-core's execute and subscribe: variables' errors (an
        # enum value misspelt) leave out suggestions too when they are off.
        kwargs = super()._get_custom_context_kwargs(operation_extensions, sync=sync)
        if self.documents.hide_suggestions:
            kwargs["hide_suggestions"] = True
        return kwargs

    async def stream(self, *args: Any, **kwargs: Any) -> StreamResult:
        return _shaped(await super().stream(*args, **kwargs))

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # Expected failures are answers, not incidents: only the unexpected are logged.
        log_unexpected(errors)


def _ran(result: ExecutionResult) -> bool:
    """The document parsed and validated: what failed before execution has no path."""
    return result.data is not None or all(error.path for error in result.errors or ())


async def _signed_in(context: Any) -> bool:
    if not isinstance(context, RequestContext) or context.token is None:
        return False
    try:
        await context.viewer()
    except Unauthenticated:
        return False
    return True


async def _shaped(source: StreamResult) -> StreamResult:
    """Subscriptions' results get the same error codes and masking as single results."""
    started = False
    async with aclosing(source):
        try:
            async for result in source:
                started = True
                errors = getattr(result, "errors", None)
                if errors:
                    result.errors = [shape_error(error) for error in errors]  # type: ignore[union-attr]
                yield result
        except GraphQLError as error:
            # A document that does not parse: Strawberry answers that itself only when it did
            # the parsing, and here the documents extension did.
            if started:
                raise
            yield PreExecutionError(data=None, errors=[shape_error(error)])


def build_schema(
    limits: GraphQLLimits | None = None,
    *,
    introspection: bool = True,
    extra_rules: Sequence[type[ASTValidationRule]] = (),
    extra_extensions: Sequence[Any] = (),
) -> TaskloomSchema:
    """The schema; suggestions ("Did you mean ...?") are off with introspection, since they
    would tell what introspection does not."""
    limits = limits or GraphQLLimits()
    rules: list[type[ASTValidationRule]] = [limits_rule(limits), *extra_rules]
    documents = Documents(limits.cache_bytes, limits.max_fields, hide_suggestions=not introspection)
    # Factories, not instances: each request gets fresh extensions (the caches are shared).
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: AddValidationRules(rules),
        parse_and_validate(documents),
        batch_budget(limits),  # after the documents: it reads what validation found
        *extra_extensions,  # the gateway's metrics and tracing
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    schema = TaskloomSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=FastExecutionContext,
        config=StrawberryConfig(
            batching_config={"max_operations": limits.batch_max} if limits.batch_max else None
        ),
    )
    schema.persisted = PersistedQueries(limits.cache_bytes)
    schema.documents = documents
    return schema
