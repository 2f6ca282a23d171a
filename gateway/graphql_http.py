"""GraphQL over HTTP, as its spec says: which media type to answer in, what a request error is,
the error answers for requests that are no GraphQL request, and the parts of one request (a
batch's operations, a WebSocket's token, a HEAD's body) the view needs judged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.responses import Response
from starlette.types import Message, Send
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from gateway.graphiql.negotiation import qualities
from gateway.responses import JSONResponse
from infra.errors import ErrorCode

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
NOT_ACCEPTABLE = f"This endpoint answers in {GRAPHQL_RESPONSE} or {JSON}; accept one of them"
# The parameters of one operation, and what each must be when it is there (null is absence).
PARAMETERS = (
    ("query", str, "a string"),
    ("operationName", str, "a string"),
    ("variables", dict, "an object"),
    ("extensions", dict, "an object"),
)


class MethodNotAllowed(HTTPException):
    """A 405 that names the method which would do."""

    def __init__(self, reason: str, allow: str) -> None:
        super().__init__(405, reason)
        self.allow = allow


def answer_media_type(accept: str | None) -> str | None:
    """What to answer in: of the two media types, the one the Accept header gives the higher
    quality (by its most specific matching range); on a tie graphql-response+json if the header
    names it, else application/json (so `*/*` gets application/json). No header (or an empty
    one): application/json, for legacy clients. None: neither is acceptable."""
    if accept is None or not accept.strip():
        return JSON
    accepted = qualities(accept)
    preferred, legacy = quality(accepted, GRAPHQL_RESPONSE), quality(accepted, JSON)
    if max(preferred, legacy) <= 0:
        return None
    if preferred > legacy or (preferred == legacy and GRAPHQL_RESPONSE in accepted):
        return GRAPHQL_RESPONSE
    return JSON


def quality(accepted: Mapping[str, float], media_type: str) -> float:
    kind = media_type.partition("/")[0]
    for media_range in (media_type, f"{kind}/*", "*/*"):
        if media_range in accepted:
            return accepted[media_range]
    return 0.0


def is_request_error(result: ExecutionResult) -> bool:
    """Nothing ran: the errors came before execution (field errors have a path)."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


def request_error(message: str, code: ErrorCode = ErrorCode.BAD_REQUEST) -> ExecutionResult:
    return PreExecutionError(
        data=None,
        errors=[GraphQLError(message, extensions={"code": code})],
    )


def error_response(error: HTTPException, media_type: str) -> Response:
    code = ErrorCode.for_status(error.status_code)
    body = {"errors": [{"message": error.reason, "extensions": {"code": code}}]}
    headers = {"Allow": error.allow} if isinstance(error, MethodNotAllowed) else None
    return JSONResponse(body, status_code=error.status_code, headers=headers, media_type=media_type)


def unreadable(operation: object) -> str | None:
    """Why one operation of a batch is not a GraphQL request, or None."""
    if not isinstance(operation, dict):
        return "an operation must be a JSON object"
    for key, kind, what in PARAMETERS:
        value = operation.get(key)
        if value is not None and not isinstance(value, kind):
            return f"`{key}` must be {what}"
    return None


def authorization(params: Mapping[str, object]) -> object:
    """The Authorization value of `connection_init`'s payload: its own, else its headers'."""
    found = _header(params)
    headers = params.get("headers")
    if found is None and isinstance(headers, Mapping):
        found = _header(headers)
    return found


def _header(mapping: Mapping[Any, object]) -> object:
    for key, value in mapping.items():
        if isinstance(key, str) and key.lower() == "authorization" and value not in (None, ""):
            return value
    return None


def without_body(send: Send) -> Send:
    """`send` for a HEAD: the GET's status and headers (Content-Length too), no body."""

    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b""}
        await send(message)

    return send_head
