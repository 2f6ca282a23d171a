"""The service's Prometheus metrics, as module-level objects that any room may count into with
one line; gateway/observability serves them at /metrics.

Every label takes values from a small set the server chooses, never raw client input: routes
are templates, statuses and error codes are the server's own, operation names are folded
(gateway/observability/graphql_metrics.py) and step outcomes are mapped below.

Under `taskloom serve --workers N`, each process counts on its own; with
PROMETHEUS_MULTIPROC_DIR set (an empty folder, before start), prometheus-client writes the
values to files there and /metrics sums them over the processes (see the gauges' modes).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "taskloom_http_requests",
    "HTTP requests answered, by route template and status",
    ["route", "status"],
)
HTTP_DURATION = Histogram(
    "taskloom_http_request_duration_seconds",
    "Time to answer an HTTP request, from its start to the end of its body",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
GRAPHQL_OPERATIONS = Counter(
    "taskloom_graphql_operations",
    "GraphQL operations, by (folded) operation name and outcome (ok or error)",
    ["operation", "outcome"],
)
GRAPHQL_ERRORS = Counter(
    "taskloom_graphql_errors", "Errors in GraphQL results, by extensions.code", ["code"]
)
INGESTION_QUEUE_DEPTH = Gauge(
    "taskloom_ingestion_queue_depth",
    "Documents waiting in or going through ingestion (rows of the job table), read at scrape",
    multiprocess_mode="livemostrecent",
)
INGESTION_JOBS = Counter(
    "taskloom_ingestion_jobs", "Ingestion jobs ended, by outcome (ready or failed)", ["outcome"]
)
AGENT_STEPS = Counter("taskloom_agent_steps", "Agent task steps recorded, by outcome", ["outcome"])
WEBSOCKETS_OPEN = Gauge(
    "taskloom_websockets_open",
    "GraphQL WebSocket connections held open",
    multiprocess_mode="livesum",
)

INGESTED = INGESTION_JOBS.labels(outcome="ready")
INGESTION_FAILED = INGESTION_JOBS.labels(outcome="failed")
STEP_OUTCOMES = frozenset({"ok", "error", "waiting"})


def count_step(status: str) -> None:
    AGENT_STEPS.labels(outcome=status if status in STEP_OUTCOMES else "other").inc()
