"""The ASGI application: routes, middleware, error answers and the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from tortoise.contrib.starlette import RegisterTortoise

from gateway.api_docs import ApiDocs
from gateway.body_limit import BodySizeLimit
from gateway.cors import cors_middleware
from gateway.files import download_endpoint
from gateway.gc_tuning import tune_for_serving
from gateway.graphiql import GraphiQL
from gateway.graphql_view import GraphQLView
from gateway.health import healthz, readyz
from gateway.observability.wiring import (
    observability_middleware,
    observability_routes,
    schema_extensions,
)
from gateway.responses import error_response
from gateway.rest.endpoint import rest_routes
from gateway.rest.openapi import openapi_route
from gateway.services import build_services, running
from infra.errors import ErrorCode
from infra.settings.environment import settings_from_env
from infra.settings.values import Settings
from models.database import tortoise_config
from resolvers.context import Services
from schema.build import build_schema

logger = logging.getLogger("taskloom")


def create_app(
    settings: Settings | None = None,
    services: Services | None = None,
    *,
    connect_database: bool = True,
) -> Starlette:
    """The application. `connect_database=False` serves over a Tortoise already connected by
    the caller (a second app on the same database, in tests)."""
    settings = settings or settings_from_env()
    services = services or build_services(settings)
    schema = build_schema(
        settings.limits,
        introspection=settings.introspection,
        extra_extensions=schema_extensions(settings),
    )
    graphiql = GraphiQL() if settings.introspection else None  # off in production by default
    graphql = GraphQLView(schema, services, graphiql)
    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/files/{token}", download_endpoint(services)),
        *rest_routes(schema, services),
        *(graphiql.routes() if graphiql is not None else []),
        openapi_route(schema),
        *observability_routes(settings),  # GET /metrics
        *(ApiDocs().routes() if settings.introspection else []),  # like GraphiQL
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not connect_database:
            async with running(services, workers=0):
                yield
            return
        async with (
            RegisterTortoise(app, config=tortoise_config(settings.database_url)),
            running(services),
        ):
            yield

    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            *observability_middleware(settings),
            *cors_middleware(settings.cors_origins),
            Middleware(
                BodySizeLimit,
                json_limit=settings.max_json_bytes,
                upload_limit=settings.max_upload_bytes,
            ),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _unexpected_error},
    )


def create_served_app(settings: Settings | None = None) -> Starlette:
    """The app as `taskloom serve` runs it, in a process tuned for serving."""
    app = create_app(settings)
    tune_for_serving()
    return app


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = ErrorCode.for_status(exc.status_code)
    return error_response(code, exc.detail, headers=exc.headers)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(ErrorCode.INTERNAL, "Internal server error")
