"""Expected failures, typed by code. The schema puts the code in `extensions.code`; REST, the
GraphQL view and the app answer a code with the status it carries, which is the one map from codes
to HTTP statuses. Use cases raise by code and never choose a status themselves."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, ClassVar


class ErrorCode(enum.StrEnum):
    """Every code an answer can carry in `error` (REST) or `extensions.code` (GraphQL)."""

    status: int

    BAD_REQUEST = "BAD_REQUEST", 400
    UNAUTHENTICATED = "UNAUTHENTICATED", 401
    FORBIDDEN = "FORBIDDEN", 403
    NOT_FOUND = "NOT_FOUND", 404
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED", 405
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE", 406
    CONFLICT = "CONFLICT", 409
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE", 413
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE", 415
    VALIDATION_FAILED = "VALIDATION_FAILED", 422
    RATE_LIMITED = "RATE_LIMITED", 429
    INTERNAL = "INTERNAL", 500
    UNAVAILABLE = "UNAVAILABLE", 503
    # Apollo's automatic persisted queries: a GraphQL answer (200) that asks for the query text.
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND", 200

    def __new__(cls, value: str, status: int) -> ErrorCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.status = status
        return member

    @classmethod
    def of(cls, value: object) -> ErrorCode:
        """The code an answer carries, INTERNAL for anything that is not one."""
        return _CODE_BY_VALUE.get(value, cls.INTERNAL) if isinstance(value, str) else cls.INTERNAL

    @classmethod
    def for_status(cls, status: int) -> ErrorCode:
        """The code of an HTTP error the framework raised (404 for an unknown path, say)."""
        return _CODE_BY_STATUS.get(status, cls.BAD_REQUEST)


_CODE_BY_VALUE = {code.value: code for code in ErrorCode}
_CODE_BY_STATUS = {code.status: code for code in ErrorCode if code.status >= 400}


class DomainError(Exception):
    code: ClassVar[ErrorCode] = ErrorCode.INTERNAL
    default_message: ClassVar[str] = "Something went wrong"

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)
        # graphql-core copies `extensions` of the original error onto the GraphQL error.
        self.extensions: dict[str, Any] = {"code": self.code, **extra}


class Unauthenticated(DomainError):
    code = ErrorCode.UNAUTHENTICATED
    default_message = "Authentication required"


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN
    default_message = "Not allowed"


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND
    default_message = "Not found"


class Conflict(DomainError):
    code = ErrorCode.CONFLICT
    default_message = "Conflict"


class PayloadTooLarge(DomainError):
    code = ErrorCode.PAYLOAD_TOO_LARGE
    default_message = "Payload too large"


class UnsupportedMediaType(DomainError):
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE
    default_message = "Unsupported media type"


class ValidationFailed(DomainError):
    code = ErrorCode.VALIDATION_FAILED
    default_message = "Validation failed"

    def __init__(self, fields: Mapping[str, str], message: str | None = None) -> None:
        super().__init__(message or _summary(fields), fields=dict(fields))
        self.fields = dict(fields)


class RateLimited(DomainError):
    code = ErrorCode.RATE_LIMITED
    default_message = "Too many attempts; try again later"

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message, retryAfter=retry_after)
        self.retry_after = retry_after


class Unavailable(DomainError):
    code = ErrorCode.UNAVAILABLE
    default_message = "A backend is unavailable; nothing was lost, try again later"


def _summary(fields: Mapping[str, str]) -> str:
    return "; ".join(f"{name}: {reason}" for name, reason in fields.items()) or "Validation failed"
