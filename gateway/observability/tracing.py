"""OpenTelemetry traces of GraphQL operations (REST calls run them too), sent over OTLP/HTTP
when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise nothing of OpenTelemetry is imported.

Spans leave in batches from a thread of the SDK, never on the request's path; the usual
OTEL_BSP_* and OTEL_EXPORTER_OTLP_* variables tune the batches and the exporter (headers,
timeout), OTEL_SERVICE_NAME the service's name (default `taskloom`). What is still queued is sent
when the process exits."""

from __future__ import annotations

import functools
import os
from typing import Any


def tracing_extensions(endpoint: str | None) -> list[Any]:
    """Schema extension factories: none without an endpoint."""
    if endpoint is None:
        return []
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from strawberry.extensions.tracing import OpenTelemetryExtension

    service = os.environ.get("OTEL_SERVICE_NAME") or "taskloom"
    # A provider of this app's own rather than the global one: each app (tests build several
    # in one process) sends where its settings say.
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return [functools.partial(OpenTelemetryExtension, tracer_provider=provider)]
