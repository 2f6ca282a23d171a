"""Every error leaves with an `extensions.code`; unexpected ones are logged and masked."""

from __future__ import annotations

import logging

from graphql import GraphQLError, GraphQLSyntaxError
from tortoise.exceptions import DBConnectionError

from infra.errors import DomainError, ErrorCode

logger = logging.getLogger("taskloom.errors")

# A database (or other backend) that cannot be reached is a 503, not a bug.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    DBConnectionError,
    ConnectionError,
    TimeoutError,
)


def is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, DomainError | GraphQLError)


def shape_error(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError) or (error.extensions or {}).get("code"):
        return error
    if original is None or isinstance(original, GraphQLError):
        return _with_code(error, _document_error_code(error))
    code, message = ErrorCode.INTERNAL, "Internal server error"
    if isinstance(original, UNAVAILABLE_ERRORS):
        code, message = (
            ErrorCode.UNAVAILABLE,
            "A backend is unavailable; nothing was lost, try again later",
        )
    return GraphQLError(message, error.nodes, path=error.path, extensions={"code": code})


def _document_error_code(error: GraphQLError) -> ErrorCode:
    """Errors found before execution: a broken document, or variables of the wrong shape."""
    if isinstance(error, GraphQLSyntaxError):
        return ErrorCode.BAD_REQUEST
    if error.message.startswith("Variable '$") and "invalid value" in error.message:
        return ErrorCode.VALIDATION_FAILED
    return ErrorCode.BAD_REQUEST


def _with_code(error: GraphQLError, code: str) -> GraphQLError:
    error.extensions = {**(error.extensions or {}), "code": code}
    return error


def log_unexpected(errors: list[GraphQLError]) -> None:
    for error in errors:
        if not is_unexpected(error):
            continue
        if isinstance(error.original_error, UNAVAILABLE_ERRORS):
            logger.warning("backend unavailable at %s: %r", error.path, error.original_error)
        else:
            logger.error("unexpected error at %s", error.path, exc_info=error.original_error)
