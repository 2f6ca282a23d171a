"""Expected failures, typed by code. The schema puts the code in `extensions.code`; the REST
layer turns the code into an HTTP status. Nothing here knows about HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "INTERNAL"
    default_message: ClassVar[str] = "Something went wrong"

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)
        # graphql-core copies `extensions` of the original error onto the GraphQL error.
        self.extensions: dict[str, Any] = {"code": self.code, **extra}


class BadRequest(DomainError):
    code = "BAD_REQUEST"
    default_message = "Malformed request"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
    default_message = "Authentication required"


class Forbidden(DomainError):
    code = "FORBIDDEN"
    default_message = "Not allowed"


class NotFound(DomainError):
    code = "NOT_FOUND"
    default_message = "Not found"


class Conflict(DomainError):
    code = "CONFLICT"
    default_message = "Conflict"


class PayloadTooLarge(DomainError):
    code = "PAYLOAD_TOO_LARGE"
    default_message = "Payload too large"


class UnsupportedMediaType(DomainError):
    code = "UNSUPPORTED_MEDIA_TYPE"
    default_message = "Unsupported media type"


class ValidationFailed(DomainError):
    code = "VALIDATION_FAILED"
    default_message = "Validation failed"

    def __init__(self, fields: Mapping[str, str], message: str | None = None) -> None:
        super().__init__(message or _summary(fields), fields=dict(fields))
        self.fields = dict(fields)


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    default_message = "Too many attempts; try again later"

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message, retryAfter=retry_after)
        self.retry_after = retry_after


class Unavailable(DomainError):
    code = "UNAVAILABLE"
    default_message = "A backend is unavailable; nothing was lost, try again later"


def _summary(fields: Mapping[str, str]) -> str:
    return "; ".join(f"{name}: {reason}" for name, reason in fields.items()) or "Validation failed"
