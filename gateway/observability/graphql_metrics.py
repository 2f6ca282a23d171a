"""Counts GraphQL operations by name and outcome, and their errors by code.

Operation names are the client's to choose, so the labels are bounded: an anonymous operation
counts as `anonymous`, and once MAX_OPERATION_NAMES distinct names have been seen in this
process, any new one counts as `other` (as does a name longer than MAX_NAME_LENGTH)."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from infra.errors import DomainError, ErrorCode
from infra.metrics import GRAPHQL_ERRORS, GRAPHQL_OPERATIONS
from schema.errors import shape_error

MAX_OPERATION_NAMES = 200
MAX_NAME_LENGTH = 100
MAX_ERROR_CODES = 50


class BoundedLabels:
    """The first `limit` distinct values pass; later new ones fold into `overflow`."""

    def __init__(self, limit: int, overflow: str = "other") -> None:
        self.limit = limit
        self.overflow = overflow
        self.seen: set[str] = set()

    def fold(self, value: str) -> str:
        if value in self.seen:
            return value
        if len(self.seen) >= self.limit or len(value) > MAX_NAME_LENGTH:
            return self.overflow
        self.seen.add(value)
        return value


# Per process, like the metrics they label.
OPERATION_NAMES = BoundedLabels(MAX_OPERATION_NAMES)
ERROR_CODES = BoundedLabels(MAX_ERROR_CODES)


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except GraphQLError as error:  # a document that does not parse is raised through here
            self._count([error])
            raise
        result = self.execution_context.result
        errors = result.errors if result is not None else None
        self._count(errors or self.execution_context.pre_execution_errors or [])

    def _count(self, errors: list[GraphQLError]) -> None:
        name = self.execution_context.operation_name
        operation = OPERATION_NAMES.fold(name) if name else "anonymous"
        GRAPHQL_OPERATIONS.labels(operation, "error" if errors else "ok").inc()
        for error in errors:
            GRAPHQL_ERRORS.labels(ERROR_CODES.fold(error_code(error))).inc()


def error_code(error: GraphQLError) -> str:
    """The `extensions.code` the client will read (the schema shapes errors after this)."""
    if isinstance(error.original_error, DomainError):
        return error.original_error.code
    code = (shape_error(error).extensions or {}).get("code")
    return code if isinstance(code, str) else ErrorCode.INTERNAL
