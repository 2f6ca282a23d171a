"""The GraphQL endpoint: Strawberry's ASGI view, with our context and orjson encoding."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.base import BaseRequestProtocol
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from gateway.context import request_context
from resolvers.context import RequestContext, Services
from resolvers.errors import Unauthenticated
from resolvers.tokens import bearer_token
from schema.build import TaskloomSchema


class GraphQLView(GraphQL[RequestContext, None]):
    def __init__(self, schema: TaskloomSchema, services: Services) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            multipart_uploads_enabled=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.services = services

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
        # A GET carrying only a persisted query's hash is an API call, not a browser visit.
        if "extensions" in request.query_params:
            return False
        return super().should_render_graphql_ide(request)

    def encode_json(self, data: Any) -> bytes:
        return orjson.dumps(data)
