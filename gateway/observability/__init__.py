"""What an operator sees of the running service: Prometheus metrics at /metrics, a request id
on every answer and log line, logs as text or JSON, and OpenTelemetry traces of GraphQL
operations when an OTLP endpoint is set."""
