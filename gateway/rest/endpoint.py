"""Turns the route table into Starlette routes. Each request: gather variables from the path,
query, body and file; check their shape; execute the stored operation in-process with the same
context a GraphQL request gets; answer with the selected part of the result or the error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.context import request_context
from gateway.files import serve_download
from gateway.responses import JSONResponse, error_response
from gateway.rest.documents import StoredOperation, load_operations
from gateway.rest.inputs import MISSING, input_problems, variables_problems
from gateway.rest.table import ROUTES, Body, RestRoute
from infra.errors import ErrorCode
from resolvers.context import RequestContext, Services
from resolvers.downloads import DOWNLOAD_PREFIX
from schema.build import TaskloomSchema
from schema.errors import shape_error
from schema.graphql_core import graphql_core_schema

MAX_PAGES = 1000


Endpoint = Callable[[Request], Awaitable[Response]]


class BadBody(Exception):
    pass


def rest_routes(schema: TaskloomSchema, services: Services) -> list[Route]:
    """One Starlette route per path, carrying all of its methods, so that a wrong method is
    answered 405 with the `Allow` header listing every method the path has (HEAD with GET)."""
    operations = load_operations(graphql_core_schema(schema))
    endpoints: dict[str, dict[str, Endpoint]] = {}
    for route in ROUTES:
        endpoint = _endpoint(schema, services, route, operations[route.operation])
        endpoints.setdefault(route.path, {})[route.method] = endpoint
    return [
        Route(path, _by_method(by_method), methods=list(by_method))
        for path, by_method in endpoints.items()
    ]


def _by_method(endpoints: dict[str, Endpoint]) -> Endpoint:
    async def dispatch(request: Request) -> Response:
        # Starlette has already refused methods outside the route's; HEAD is answered as GET
        # (the server sends the headers and drops the body).
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return dispatch


def _endpoint(
    schema: TaskloomSchema, services: Services, route: RestRoute, operation: StoredOperation
) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        context = request_context(services, request)
        if route.reads_request and not route.public:
            refusal = await _refused_before_reading(schema, context)
            if refusal is not None:
                return refusal
        try:
            body = await _body_variables(request, route)
        except BadBody as error:
            return error_response(ErrorCode.BAD_REQUEST, str(error))
        # The path names the object; a body naming another must not redirect the call.
        clashes = {name: "is given by the path" for name in body if name in request.path_params}
        if clashes:
            return error_response(ErrorCode.VALIDATION_FAILED, "Validation failed", fields=clashes)
        variables = {**body, **request.path_params}
        for name in route.query:
            variables[name] = request.query_params.get(name, MISSING)
        problems = _problems(route, operation, variables)
        if problems:
            return error_response(ErrorCode.VALIDATION_FAILED, "Validation failed", fields=problems)
        variables = {name: value for name, value in variables.items() if value is not MISSING}
        pages: list[Any] = []
        while True:
            result = await schema.execute(
                operation.text,
                variable_values=variables,
                context_value=context,
                operation_name=operation.name,
            )
            if result.errors:
                return _error_answer(result.errors[0])
            pages.append(result.data)
            if route.all_pages is None or len(pages) >= MAX_PAGES:
                break
            page_info = _select(result.data, [*route.all_pages.split("."), "pageInfo"])
            if not page_info["hasNextPage"]:
                break
            variables["after"] = page_info["endCursor"]
        if route.status == 204:
            return Response(status_code=204)
        if route.download is not None:
            link = _select(pages[0], route.download.split("."))
            return await serve_download(services, link.removeprefix(DOWNLOAD_PREFIX))
        path = route.answer.split(".")
        if route.all_pages is None:
            return JSONResponse(_select(pages[0], path), status_code=route.status)
        items = [item for page in pages for item in _select(page, path)]
        return JSONResponse(items, status_code=route.status)

    return endpoint


async def _body_variables(request: Request, route: RestRoute) -> dict[str, Any]:
    if route.file is not None:
        return await _file_variables(request, route.file)
    if route.body is Body.NONE:
        return {}
    raw = await request.body()
    if not raw.strip():
        body: Any = {}
    else:
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise BadBody("The body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadBody("The body must be a JSON object")
    return {"input": body} if route.body is Body.INPUT else body


async def _file_variables(request: Request, name: str) -> dict[str, Any]:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadBody("Send the file as multipart/form-data, in the field `file`")
    try:
        form = await request.form(max_files=1, max_fields=16)
    except (MultiPartException, HTTPException, ValueError) as error:
        raise BadBody(f"Malformed multipart body: {error}") from None
    return {name: form.get("file", MISSING)}


def _problems(
    route: RestRoute, operation: StoredOperation, variables: dict[str, Any]
) -> dict[str, str]:
    if route.body is Body.INPUT:
        # Fields of the input are named as the client sent them, without an `input.` prefix.
        problems = input_problems(variables["input"], operation.variable_types["input"])
        rest = {name: value for name, value in variables.items() if name != "input"}
        types = {name: t for name, t in operation.variable_types.items() if name != "input"}
        return problems | variables_problems(rest, types)
    return variables_problems(variables, operation.variable_types)


async def _refused_before_reading(
    schema: TaskloomSchema, context: RequestContext
) -> Response | None:
    """A route that reads the request asks for the viewer first: the contract answers 401
    before any 400 or 422 about the body, and a 50 MB upload is not read for someone who is not
    signed in. Other routes leave it to the operation, as GraphQL does. A failure here is
    answered by the schema's own rules (codes, masks, logs), as inside the operation."""
    try:
        await context.viewer()
    except Exception as error:
        failure = GraphQLError(str(error), original_error=error)
        schema.process_errors([failure])
        return _error_answer(shape_error(failure))
    return None


def _error_answer(error: GraphQLError) -> Response:
    extensions = error.extensions or {}
    code = ErrorCode.of(extensions.get("code"))
    headers = {}
    if "retryAfter" in extensions:
        headers["Retry-After"] = str(extensions["retryAfter"])
    return error_response(code, error.message, fields=extensions.get("fields"), headers=headers)


def _select(data: Any, path: list[str]) -> Any:
    if not path:
        return data
    head, rest = path[0], path[1:]
    if head == "*":
        return [_select(item, rest) for item in data]
    return _select(data[head], rest)
