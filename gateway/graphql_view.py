"""The GraphQL endpoint: Strawberry's ASGI view with our context and orjson encoding, speaking
GraphQL over HTTP as its spec says.

It answers in `application/graphql-response+json` when the Accept header prefers it, else in
`application/json` (also to no Accept header: legacy clients); 406 when neither is acceptable.
A request error (a document that does not parse or validate, variables that do not coerce, no
such operation) has no `data`: 400 under graphql-response+json, 200 under application/json. A
body that is no GraphQL request (bad JSON, no query) is a 400 under both; a mutation over GET a
405. HEAD answers as GET would, without the body. Batches (a JSON array of operations, as
Apollo's BatchHttpLink sends) when TASKLOOM_GRAPHQL_BATCH_MAX allows them: one result each.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any, cast

import orjson
from cross_web import (
    AsyncHTTPRequestAdapter,
    HTTPException,  # what Strawberry raises for a request it cannot read
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, GraphQLRequestProtocol
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UnsetType

from gateway.context import request_context
from gateway.graphiql import GraphiQL, wants_graphiql
from gateway.graphql_http import (
    GRAPHQL_RESPONSE,
    JSON,
    NOT_ACCEPTABLE,
    MethodNotAllowed,
    answer_media_type,
    authorization,
    error_response,
    is_request_error,
    request_error,
    unreadable,
    without_body,
)
from gateway.graphql_multipart import BoundedFormRequest, operations_with_files
from gateway.websocket_limits import BoundedTextFrames, WebSocketSlots, refuse
from infra.errors import ErrorCode, Unauthenticated
from infra.security.tokens import bearer_token
from infra.settings.origins import origin_pattern
from resolvers.context import RequestContext, Services
from schema.build import TaskloomSchema
from schema.limits import one_budget_for_the_batch

# Operations one WebSocket may keep running at once: each holds a queue and reads the database
# on every event, so one client must not open thousands.
MAX_OPERATIONS_PER_CONNECTION = 50
# Strawberry lets GET and POST run subscriptions for its SSE and multipart-subscription
# transports, which this view does not offer: run as a plain query, a subscription field fails
# as an internal error. Subscriptions go over the WebSocket only.
HTTP_OPERATIONS = {
    "GET": frozenset({OperationType.QUERY}),
    "POST": frozenset({OperationType.QUERY, OperationType.MUTATION}),
}
SUBSCRIPTION_OVER_HTTP = (
    "Subscriptions run over a WebSocket at this URL (graphql-transport-ws), not over HTTP"
)


class GraphQLView(GraphQL[RequestContext, None]):
    """A WebSocket signs in with the first of these that is there: the `connection_init`
    payload's `Authorization`, else its `headers.Authorization` (as Hasura's clients send it;
    the key in any case), else the upgrade request's own `Authorization` header. A bad token in
    the first place found refuses the connection (4403) rather than falling through to the next;
    an empty or null value counts as absent."""

    request_adapter_class = BoundedFormRequest

    def __init__(
        self, schema: TaskloomSchema, services: Services, graphiql: GraphiQL | None = None
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql is not None else None,
            multipart_uploads_enabled=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=MAX_OPERATIONS_PER_CONNECTION,
            connection_init_wait_timeout=timedelta(
                seconds=services.settings.websockets.init_timeout_seconds
            ),
        )
        self.services = services
        self.graphiql = graphiql
        self.websocket_slots = WebSocketSlots(services.settings.websockets)
        self.cross_origins = origin_pattern(services.settings.cors_origins)
        self.websocket_adapter_class = partial(  # type: ignore[assignment]
            BoundedTextFrames,
            max_init_bytes=services.settings.websockets.max_init_bytes,
            max_message_bytes=services.settings.max_json_bytes,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            return await self._serve_websocket(WebSocket(scope, receive=receive, send=send))
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        if scope["method"] == "HEAD":
            scope, send = {**scope, "method": "GET"}, without_body(send)
        request = Request(scope=scope, receive=receive)
        media_type = answer_media_type(request.headers.get("accept"))
        try:
            if media_type is None and not wants_graphiql(request):
                raise HTTPException(406, NOT_ACCEPTABLE)
            response = await self.run(request)
        except HTTPException as error:
            # A request GraphQL cannot even read (bad JSON, no query, wrong method) still gets a
            # GraphQL answer: JSON, with its code, rather than Strawberry's plain text.
            response = error_response(error, media_type or JSON)
        await response(scope, receive, send)

    async def _serve_websocket(self, websocket: WebSocket) -> None:
        # The address by the same rule as every other per-address limit.
        context = request_context(self.services, websocket)
        address = context.client_address
        refusal = self.websocket_slots.claim(address)
        if refusal is not None:
            return await refuse(websocket, refusal)
        try:
            await self.run(websocket, context=context)
        finally:
            self.websocket_slots.release(address)

    async def execute_operation(  # type: ignore[override]
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: RequestContext,
        root_value: None,
        sub_response: Response,
    ) -> Any:
        if not isinstance(request_data, list):
            return await super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            )
        # One after another, where Strawberry would run them at once: they share the request's
        # context and budget, and each sees what the mutations before it did.
        results: list[ExecutionResult] = []
        with one_budget_for_the_batch():
            for operation in request_data:
                try:
                    result = await self.execute_single(
                        request, request_adapter, sub_response, context, root_value, operation
                    )
                except HTTPException as error:  # one operation's fault is its own answer
                    result = request_error(error.reason, ErrorCode.for_status(error.status_code))
                results.append(result)
        return results

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: RequestContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        method = request_adapter.method
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=HTTP_OPERATIONS.get(method, frozenset()),
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.SUBSCRIPTION:
                raise HTTPException(400, SUBSCRIPTION_OVER_HTTP) from None
            # A mutation over GET (POST allows the rest): the spec wants a 405.
            raise MethodNotAllowed(error.as_http_error_reason(method), "POST") from None
        except CannotGetOperationTypeError as error:
            # No such operation in the document: a request error like a validation failure.
            return request_error(error.as_http_error_reason())
        except MissingQueryError:
            raise HTTPException(400, "No GraphQL query found in the request") from None

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        # Strawberry checks the other parameters' types of a single operation, not this one.
        if isinstance(data, GraphQLRequestData) and not isinstance(data.operation_name, str | None):
            raise HTTPException(400, "The GraphQL operation's `operationName` must be a string")
        return data

    def _validate_batch_request(
        self, request_data: list[GraphQLRequestData], protocol: GraphQLRequestProtocol
    ) -> None:
        # Called with the JSON array as it came: Strawberry reads each item as an object.
        batching = self.schema.config.batching_config
        if batching is None:
            raise HTTPException(
                400, "Batching is off on this server: send one operation per request"
            )
        count, most = len(request_data), batching["max_operations"]
        if not 0 < count <= most:
            raise HTTPException(
                400, f"A batch may hold 1 to {most} operations; this one holds {count}"
            )
        for position, operation in enumerate(cast(list[object], request_data)):
            reason = unreadable(operation)
            if reason is not None:
                raise HTTPException(400, f"Operation {position} of the batch: {reason}")

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        answer = await super().process_result(request, result)
        if is_request_error(result):
            answer.pop("data", None)  # the spec: nothing ran, so there is no data entry
        return answer

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        # Where create_response, which is not given the request, finds what to answer in.
        sub_response.media_type = answer_media_type(request.headers.get("accept")) or JSON
        return sub_response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        media_type = sub_response.media_type or JSON
        refused = isinstance(response_data, dict) and "data" not in response_data
        status = 400 if refused and media_type == GRAPHQL_RESPONSE else 200
        response = Response(
            self.encode_json(response_data),
            status_code=sub_response.status_code or status,
            media_type=media_type,
        )
        response.headers.raw.extend(sub_response.headers.raw)
        response.background = sub_response.background
        return response

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        form = await request.get_form_data()
        parsed: dict[str, str] = operations_with_files(form.form, self.parse_json)
        return parsed

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        return request_context(self.services, request)

    async def on_ws_connect(self, context: RequestContext) -> UnsetType | dict[str, object] | None:
        given = authorization(context.connection_params or {})
        if given is not None:
            context.token = bearer_token(given) if isinstance(given, str) else None
            if context.token is None:
                raise ConnectionRejectionError({"code": ErrorCode.UNAUTHENTICATED})
        # Otherwise context.token is the upgrade request's, read by request_context.
        if context.token is not None:
            try:
                await context.viewer()
            except Unauthenticated:
                raise ConnectionRejectionError({"code": ErrorCode.UNAUTHENTICATED}) from None
        return await super().on_ws_connect(context)

    def is_websocket_origin_allowed(self, request: WebSocket, origin: str) -> bool:
        # Asked only for another origin's page: TASKLOOM_CORS_ORIGINS, as for HTTP.
        return self.cross_origins is not None and self.cross_origins.fullmatch(origin) is not None

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET carrying a persisted query's hash, or from curl's */*, is an API call.
        return wants_graphiql(request)

    async def render_graphql_ide(self, request: Request) -> Response:
        assert self.graphiql is not None  # the IDE is only rendered when one was given
        return await self.graphiql.page(request)

    def encode_json(self, data: Any) -> bytes:
        return orjson.dumps(data)

    def parse_json(self, data: str | bytes) -> Any:
        parsed = super().parse_json(data)
        if not isinstance(parsed, dict | list):  # a bare string or number is no request
            raise HTTPException(400, "The request body must be a JSON object")
        return parsed

    def decode_json(self, data: str | bytes) -> object:
        # orjson refuses what is not valid Unicode (a lone surrogate escape, say), which the
        # standard library would pass on to fail in the database; its error is a
        # json.JSONDecodeError, which Strawberry answers with 400, as the REST layer does.
        return orjson.loads(data)
