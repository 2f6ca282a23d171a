"""The fake's gRPC side: `weaviate.v1.Weaviate` and the health check, on a grpc.aio server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc  # type: ignore[import-untyped]
from weaviate.proto.v1 import (
    batch_delete_pb2,
    batch_pb2,
    health_weaviate_pb2,
    search_get_pb2,
    tenants_pb2,
)

from tests.fakes.weaviate.controls import Controls
from tests.fakes.weaviate.search import run_search
from tests.fakes.weaviate.state import FakeError, FakeState
from tests.fakes.weaviate.writes import batch_delete, batch_objects, tenants_get

_SERVING = health_weaviate_pb2.WeaviateHealthCheckResponse.SERVING


class GrpcServer:
    def __init__(self, state: FakeState, controls: Controls) -> None:
        self._state = state
        self._controls = controls
        self._server: grpc.aio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        server = grpc.aio.server()
        server.add_generic_rpc_handlers(self._handlers())
        self.port = server.add_insecure_port(f"127.0.0.1:{self.port}")
        await server.start()
        self._server = server

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            await server.stop(grace=None)

    def _handlers(self) -> tuple[grpc.GenericRpcHandler, ...]:
        state, controls = self._state, self._controls
        weaviate = {
            "Search": self._unary(
                "Search", lambda r: run_search(state, r), search_get_pb2.SearchRequest
            ),
            "BatchObjects": self._unary(
                "BatchObjects", lambda r: batch_objects(state, r), batch_pb2.BatchObjectsRequest
            ),
            "BatchDelete": self._unary(
                "BatchDelete",
                lambda r: batch_delete(state, r, controls.max_delete),
                batch_delete_pb2.BatchDeleteRequest,
            ),
            "TenantsGet": self._unary(
                "TenantsGet", lambda r: tenants_get(state, r), tenants_pb2.TenantsGetRequest
            ),
        }
        health = {
            "Check": self._unary(
                "Health",
                lambda _: health_weaviate_pb2.WeaviateHealthCheckResponse(status=_SERVING),
                health_weaviate_pb2.WeaviateHealthCheckRequest,
            )
        }
        return (
            grpc.method_handlers_generic_handler("weaviate.v1.Weaviate", weaviate),
            grpc.method_handlers_generic_handler("grpc.health.v1.Health", health),
        )

    def _unary(
        self, name: str, answer: Callable[[Any], Any], request_type: Any
    ) -> grpc.RpcMethodHandler:
        async def handle(request: Any, context: grpc.aio.ServicerContext) -> Any:
            await self._admit(name, context)
            try:
                return answer(request)
            except FakeError as exc:
                code = grpc.StatusCode.NOT_FOUND if exc.status == 404 else grpc.StatusCode.UNKNOWN
                await context.abort(code, exc.message)

        return grpc.unary_unary_rpc_method_handler(
            handle,
            request_deserializer=request_type.FromString,
            response_serializer=lambda reply: reply.SerializeToString(),
        )

    async def _admit(self, name: str, context: grpc.aio.ServicerContext) -> None:
        controls = self._controls
        controls.calls.append(f"grpc {name}")
        await controls.wait_released()
        metadata = dict(context.invocation_metadata() or ())
        if not controls.authorised(metadata.get("authorization")):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "anonymous access not enabled")
        if controls.failing:
            await context.abort(grpc.StatusCode.INTERNAL, "injected failure")
