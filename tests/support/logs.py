"""What the live server, running in the test's process, logged at ERROR."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def logged_errors(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[str]]]:
    """Yields a function listing the messages logged at ERROR or above so far, uvicorn's own
    ("Exception in ASGI application") included: its logger does not propagate to the root."""
    uvicorn_logger = logging.getLogger("uvicorn")
    uvicorn_logger.addHandler(caplog.handler)
    caplog.set_level(logging.ERROR)
    try:
        yield lambda: [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    finally:
        uvicorn_logger.removeHandler(caplog.handler)
