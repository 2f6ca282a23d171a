"""The OpenAPI 3.1 document of the REST routes, generated from the route table and the stored
operations so that it cannot drift from what the endpoint does: request bodies come from the
GraphQL input types, answers from the selection set at each route's `answer` path."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from importlib import metadata

import orjson
from graphql import (
    GraphQLInputType,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.rest.documents import StoredOperation, load_operations
from gateway.rest.json_schemas import (
    OperationShapes,
    Schema,
    input_object,
    input_schema,
)
from gateway.rest.table import ROUTES, Body, RestRoute
from infra.errors import ErrorCode
from resolvers.ids import MAX_ID_LENGTH
from schema.build import TaskloomSchema
from schema.graphql_core import graphql_core_schema

PATH_PARAMETER = re.compile(r"{(\w+)}")
# Global ids are URL-safe base64 without padding (resolvers/ids.py).
ID_IN_PATH: Schema = {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "maxLength": MAX_ID_LENGTH}

# Codes the resolvers of an operation raise beyond those every route of its kind can answer
# (see `_error_codes`): read off resolvers/accounts.py, resolvers/steps.py and throttle.py.
# What a REST answer's `error` may hold: every code but those only GraphQL's own answers carry.
REST_CODES = [
    code
    for code in ErrorCode
    if code not in (ErrorCode.NOT_ACCEPTABLE, ErrorCode.PERSISTED_QUERY_NOT_FOUND)
]
RESOLVER_ERRORS: dict[str, frozenset[ErrorCode]] = {
    "register": frozenset({ErrorCode.FORBIDDEN, ErrorCode.CONFLICT, ErrorCode.RATE_LIMITED}),
    "login": frozenset({ErrorCode.UNAUTHENTICATED, ErrorCode.RATE_LIMITED}),
    "updateMe": frozenset({ErrorCode.CONFLICT}),
    "changePassword": frozenset({ErrorCode.FORBIDDEN, ErrorCode.RATE_LIMITED}),
    "stepTask": frozenset({ErrorCode.CONFLICT}),
}
ERROR_DESCRIPTIONS = {
    ErrorCode.BAD_REQUEST: "Malformed JSON or multipart body",
    ErrorCode.UNAUTHENTICATED: "No token, a bad, expired or revoked one, or a wrong sign-in",
    ErrorCode.FORBIDDEN: (
        "Not allowed: registration closed or by invite, or a wrong current password"
    ),
    ErrorCode.NOT_FOUND: "No such object, or it belongs to someone else",
    ErrorCode.CONFLICT: "The username or email is taken, or a step of the task is already running",
    ErrorCode.PAYLOAD_TOO_LARGE: "The body is over the configured limit",
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: "A kind of file that cannot be read",
    ErrorCode.VALIDATION_FAILED: "A field breaks its rule; `fields` names each one and why",
    ErrorCode.RATE_LIMITED: "Too many attempts; `Retry-After` says when to try again",
    ErrorCode.UNAVAILABLE: "A backend (database, index, file store) is down; nothing was lost",
}


def openapi_document(
    schema: GraphQLSchema,
    operations: Mapping[str, StoredOperation] | None = None,
    routes: Iterable[RestRoute] = ROUTES,
) -> Schema:
    """The document for `routes`, each described from its stored operation."""
    operations = operations if operations is not None else load_operations(schema)
    paths: dict[str, dict[str, Schema]] = {}
    for route in routes:
        operation = OperationShapes(schema, operations[route.operation])
        paths.setdefault(route.path, {})[route.method.lower()] = _path_item(route, operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Taskloom REST API",
            "version": _version(),
            "description": "Compatibility routes, each executing one stored GraphQL operation. "
            "Errors answer `{error, message, fields?}`; sign in with `POST /auth/register` "
            "or `POST /auth/login` and send the token as `Authorization: Bearer <token>`.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
            "schemas": {"Error": _error_schema()},
            "responses": {code.value: _error_response(code) for code in ERROR_DESCRIPTIONS},
        },
    }


def openapi_route(schema: TaskloomSchema) -> Route:
    """`GET /openapi.json`: the document, generated once per app."""
    body = orjson.dumps(openapi_document(graphql_core_schema(schema)))

    async def endpoint(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return Route("/openapi.json", endpoint, methods=["GET"])


def _path_item(route: RestRoute, operation: OperationShapes) -> Schema:
    item: Schema = {
        "operationId": operation.name,
        "tags": [_tag(route.path)],
        "summary": _words(operation.name),
        "description": operation.description(),
        "security": [] if route.public else [{"bearerAuth": []}],
    }
    parameters = _parameters(route, operation)
    if parameters:
        item["parameters"] = parameters
    body = _request_body(route, operation)
    if body is not None:
        item["requestBody"] = body
    item["responses"] = {
        str(route.status): _success(route, operation),
        **{
            str(code.status): {"$ref": f"#/components/responses/{code}"}
            for code in sorted(_error_codes(route), key=lambda code: code.status)
        },
    }
    return item


def _words(name: str) -> str:
    """`uploadTaskDocument` → `Upload task document`."""
    words = re.sub(r"(?<!^)([A-Z])", r" \1", name).lower()
    return words[:1].upper() + words[1:]


def _tag(path: str) -> str:
    segments = [s for s in path.split("/") if s and s != "api"]
    return segments[0]


def _path_names(route: RestRoute) -> list[str]:
    return PATH_PARAMETER.findall(route.path)


def _parameters(route: RestRoute, operation: OperationShapes) -> list[Schema]:
    parameters = []
    for name in _path_names(route):
        type_ = _named(operation.variable_types[name])
        is_id = isinstance(type_, GraphQLScalarType) and type_.name == "ID"
        schema = ID_IN_PATH if is_id else {"type": "string", "minLength": 1}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    for name in route.query:
        type_ = operation.variable_types[name]
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": isinstance(type_, GraphQLNonNull),
                "schema": input_schema(type_),
            }
        )
    return parameters


def _request_body(route: RestRoute, operation: OperationShapes) -> Schema | None:
    if route.file is not None:
        form = input_object(
            {"file": operation.variable_types[route.file]}, title=f"{operation.name} form"
        )
        del form["additionalProperties"]  # other form fields are ignored, not refused
        return {"required": True, "content": {"multipart/form-data": {"schema": form}}}
    if route.body is Body.INPUT:
        schema = input_schema(operation.variable_types["input"])
    elif route.body is Body.VARIABLES:
        given_elsewhere = {*_path_names(route), *route.query, "after"}
        variables = {
            name: type_
            for name, type_ in operation.variable_types.items()
            if name not in given_elsewhere
        }
        schema = input_object(variables, title=f"{operation.name} variables")
    else:
        return None
    # An empty body is read as `{}`: it may be left out unless `{}` lacks a required field.
    required = bool(schema.get("required"))
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _success(route: RestRoute, operation: OperationShapes) -> Schema:
    if route.status == 204:
        return {"description": "Done; no body"}
    if route.download is not None:
        return {"description": "The file's bytes, with its content type", "content": {"*/*": {}}}
    answer = operation.answer(route.answer.split("."))
    return {"description": "The answer", "content": {"application/json": {"schema": answer}}}


def _error_codes(route: RestRoute) -> set[ErrorCode]:
    """What every route of this kind can answer, read off gateway/rest/endpoint.py, the body
    limit and the resolvers: a token first, then the body's shape, then the objects named."""
    codes = {ErrorCode.UNAVAILABLE, *RESOLVER_ERRORS.get(route.operation, ())}
    if not route.public:
        codes.add(ErrorCode.UNAUTHENTICATED)
    if route.body is not Body.NONE or route.file is not None:
        codes |= {ErrorCode.BAD_REQUEST, ErrorCode.PAYLOAD_TOO_LARGE, ErrorCode.VALIDATION_FAILED}
    if route.file is not None:
        codes.add(ErrorCode.UNSUPPORTED_MEDIA_TYPE)
    if route.query:
        codes.add(ErrorCode.VALIDATION_FAILED)
    if _path_names(route):
        codes.add(ErrorCode.NOT_FOUND)
    return codes


def _error_schema() -> Schema:
    return {
        "type": "object",
        "title": "Error",
        "properties": {
            "error": {"type": "string", "enum": list(REST_CODES)},
            "message": {"type": "string"},
            "fields": {
                "type": "object",
                "description": "For VALIDATION_FAILED (and CONFLICT): each field and why",
                "additionalProperties": {"type": "string"},
            },
        },
        "required": ["error", "message"],
        "additionalProperties": False,
    }


def _error_response(code: ErrorCode) -> Schema:
    response: Schema = {
        "description": ERROR_DESCRIPTIONS[code],
        "content": {
            "application/json": {
                "schema": {
                    "allOf": [{"$ref": "#/components/schemas/Error"}],
                    "properties": {"error": {"const": code}},
                }
            }
        },
    }
    if code == ErrorCode.RATE_LIMITED:
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    return response


def _named(type_: GraphQLInputType) -> GraphQLInputType:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _version() -> str:
    try:
        return metadata.version("taskloom")
    except metadata.PackageNotFoundError:
        return "0.0.0"
