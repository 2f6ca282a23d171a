"""GET /metrics: the Prometheus text format.

One process (`taskloom serve`, one worker) serves its own counters from the default registry,
with the process and Python collectors. Under `--workers N` each worker is a process of its
own, and a scrape reaches whichever one accepts the connection: without
PROMETHEUS_MULTIPROC_DIR the figures are that worker's alone and jump between scrapes. Set it to
an empty folder, writable by the server and cleared before each start, and every worker
writes its values there; each scrape then sums them over the workers (counters and histograms
summed, open WebSockets summed over live workers, the queue depth the latest reading).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise.exceptions import BaseORMException

from infra.jobs import ingestion_queue
from infra.metrics import INGESTION_QUEUE_DEPTH


def metrics_route() -> Route:
    return Route("/metrics", _endpoint(_registry()), methods=["GET"])


def _registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def _endpoint(registry: CollectorRegistry) -> Callable[[Request], Awaitable[Response]]:
    async def metrics(request: Request) -> Response:
        # A database that is down leaves the last reading; the rest of the metrics still answer.
        with contextlib.suppress(BaseORMException, OSError):
            INGESTION_QUEUE_DEPTH.set(await ingestion_queue.depth())
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
