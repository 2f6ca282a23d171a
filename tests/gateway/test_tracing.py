"""Traces: the real OTLP/HTTP exporter sends the operations' spans to a small local receiver;
without an endpoint, nothing of OpenTelemetry is loaded."""

from __future__ import annotations

import subprocess
import sys

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.api import graphql, register
from tests.support.live_server import LiveServer
from tests.support.processes import eventually


class Receiver:
    """Accepts POST /v1/traces as a collector does, keeping the span names it was sent."""

    def __init__(self) -> None:
        self.span_names: list[str] = []
        self.service_names: set[str] = set()
        self.app = Starlette(routes=[Route("/v1/traces", self.traces, methods=["POST"])])

    async def traces(self, request: Request) -> Response:
        export = ExportTraceServiceRequest()
        export.ParseFromString(await request.body())
        for resource_spans in export.resource_spans:
            for attribute in resource_spans.resource.attributes:
                if attribute.key == "service.name":
                    self.service_names.add(attribute.value.string_value)
            for scope_spans in resource_spans.scope_spans:
                self.span_names += [span.name for span in scope_spans.spans]
        return Response(b"", media_type="application/x-protobuf")


async def test_an_operation_span_reaches_the_collector(app_with, monkeypatch):
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")  # milliseconds between batches
    receiver = Receiver()
    collector = await LiveServer(receiver.app).start()
    try:
        async with await app_with(otlp_endpoint=collector.url) as traced:
            user = await register(traced)
            result = await graphql(traced, "query TracedMe { me { id } }", headers=user["headers"])
            assert "errors" not in result

            async def arrived() -> bool:
                return "GraphQL Query: TracedMe" in receiver.span_names

            await eventually(arrived)
    finally:
        await collector.stop()
    assert {"GraphQL Parsing", "GraphQL Validation"} <= set(receiver.span_names)
    assert receiver.service_names == {"taskloom"}


def test_without_an_endpoint_nothing_of_opentelemetry_is_loaded(tmp_path):
    program = f"""
import sys
from gateway.app import create_app
from tests.conftest import make_settings
create_app(make_settings({str(tmp_path)!r}, "sqlite://{tmp_path}/db.sqlite3"))
print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
"""
    run = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True
    )
    assert run.stdout.strip() == "[]", run.stdout
