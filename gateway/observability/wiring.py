"""What the app takes from this room, according to the settings."""

from __future__ import annotations

from typing import Any

from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from gateway.observability.graphql_metrics import OperationMetrics
from gateway.observability.http_metrics import HTTPMetrics
from gateway.observability.metrics_route import metrics_route
from gateway.observability.request_ids import RequestIds
from gateway.observability.tracing import tracing_extensions
from infra.settings.values import Settings


def observability_middleware(settings: Settings) -> list[Middleware]:
    """Outermost first: the request id is on every answer, even those other middleware give."""
    return [Middleware(RequestIds), *([Middleware(HTTPMetrics)] if settings.metrics else [])]


def observability_routes(settings: Settings) -> list[BaseRoute]:
    return [metrics_route()] if settings.metrics else []


def schema_extensions(settings: Settings) -> list[Any]:
    return [
        *([OperationMetrics] if settings.metrics else []),
        *tracing_extensions(settings.otlp_endpoint),
    ]
