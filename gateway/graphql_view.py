"""The GraphQL endpoint: Strawberry's ASGI view, with our context and orjson encoding."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from cross_web import HTTPException  # what Strawberry raises for a request it cannot read
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from gateway.context import request_context
from gateway.graphiql import GraphiQL, wants_graphiql
from gateway.responses import STATUS_BY_CODE, JSONResponse
from resolvers.context import RequestContext, Services
from resolvers.errors import Unauthenticated
from resolvers.tokens import bearer_token
from schema.build import TaskloomSchema

CODE_BY_STATUS = {status: code for code, status in STATUS_BY_CODE.items()}
# Operations one WebSocket may keep running at once: each holds a queue and reads the database
# on every event, so one client must not open thousands.
MAX_OPERATIONS_PER_CONNECTION = 50


class _TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws messages go as text frames: a browser's graphql-ws client (GraphiQL's)
    cannot read the binary frames that orjson's bytes would make."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error


class GraphQLView(GraphQL[RequestContext, None]):
    websocket_adapter_class = _TextFrames

    def __init__(
        self, schema: TaskloomSchema, services: Services, graphiql: GraphiQL | None = None
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql is not None else None,
            multipart_uploads_enabled=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=MAX_OPERATIONS_PER_CONNECTION,
        )
        self.services = services
        self.graphiql = graphiql

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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
