"""Logging for the `taskloom` command: TASKLOOM_LOG_FORMAT=text (the default, for a terminal)
or json (one object a line, for a log collector), every record with the request id it was
written under (`-` outside a request)."""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from gateway.observability.request_ids import current_request_id
from infra.settings.values import LogFormat

TEXT_FORMAT = "%(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or "-"
        return True


def configure_logging(kind: LogFormat) -> None:
    logging.config.dictConfig(logging_config(kind))


def uvicorn_logging(kind: LogFormat) -> dict[str, Any]:
    """uvicorn.run's options: in JSON its own loggers (access lines too) go through the root
    handler; each worker process of `--workers N` applies the same configuration."""
    if kind is not LogFormat.JSON:
        return {}
    return {"log_config": logging_config(kind)}


def logging_config(kind: LogFormat) -> dict[str, Any]:
    """A dictConfig: WARNING and above on stderr, as text or JSON."""
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if kind is LogFormat.JSON
        else {"format": TEXT_FORMAT}
    )
    uvicorn_loggers = ("uvicorn", "uvicorn.error", "uvicorn.access")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"level": "WARNING", "handlers": ["stderr"]},
        "loggers": {name: {"handlers": [], "propagate": True} for name in uvicorn_loggers},
    }
