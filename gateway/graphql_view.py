"""The GraphQL endpoint: Strawberry's ASGI view, with our context and orjson encoding."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

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
from strawberry.http import GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UnsetType

from gateway.context import request_context
from gateway.cors import origin_pattern
from gateway.graphiql import GraphiQL, wants_graphiql
from gateway.graphql_multipart import BoundedFormRequest, operations_with_files
from gateway.responses import STATUS_BY_CODE, JSONResponse
from gateway.websocket_limits import BoundedTextFrames, WebSocketSlots, refuse
from resolvers.context import RequestContext, Services
from resolvers.errors import Unauthenticated
from resolvers.tokens import bearer_token
from schema.build import TaskloomSchema

CODE_BY_STATUS = {status: code for code, status in STATUS_BY_CODE.items()}
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
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as error:
            # A request GraphQL cannot even read (bad JSON, no query, wrong method) still gets a
            # GraphQL answer: JSON, with its code, rather than Strawberry's plain text.
            code = CODE_BY_STATUS.get(error.status_code, "BAD_REQUEST")
            body = {"errors": [{"message": error.reason, "extensions": {"code": code}}]}
            response = JSONResponse(body, status_code=error.status_code)
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
            raise HTTPException(400, error.as_http_error_reason(method)) from None
        except CannotGetOperationTypeError as error:
            raise HTTPException(400, error.as_http_error_reason()) from None
        except MissingQueryError:
            raise HTTPException(400, "No GraphQL query found in the request") from None

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        form = await request.get_form_data()
        parsed: dict[str, str] = operations_with_files(form.form, self.parse_json)
        return parsed

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        return request_context(self.services, request)

    async def on_ws_connect(self, context: RequestContext) -> UnsetType | dict[str, object] | None:
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        context.token = bearer_token(header) if isinstance(header, str) else None
        if context.token is not None:
            try:
                await context.viewer()
            except Unauthenticated:
                raise ConnectionRejectionError({"code": "UNAUTHENTICATED"}) from None
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
