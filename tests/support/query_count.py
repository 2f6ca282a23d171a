"""Counts the SQL statements Tortoise sends, through its own debug log (no patching)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_LOGGER = logging.getLogger("tortoise.db_client")
_NOT_QUERIES = ("Created connection pool", "Closed connection pool", "Created connection")


class QueryCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []
        self.values: list[list[Any]] = []  # each statement's parameters

    def emit(self, record: logging.LogRecord) -> None:
        message = str(record.msg)
        if not message.startswith(_NOT_QUERIES):
            args = record.args
            with_values = isinstance(args, tuple) and len(args) == 2
            self.statements.append(str(args[0]) if isinstance(args, tuple) and args else message)
            self.values.append(list(args[1] or []) if with_values else [])  # type: ignore[index]

    @property
    def count(self) -> int:
        return len(self.statements)

    def count_excluding(self, table: str) -> int:
        """Statements that do not touch `table` (the background ingestion worker polls its job
        table from the same process, at moments a request cannot control)."""
        return sum(1 for statement in self.statements if f'"{table}"' not in statement)


@contextmanager
def count_queries() -> Iterator[QueryCounter]:
    counter = QueryCounter()
    previous_level = _LOGGER.level
    _LOGGER.addHandler(counter)
    _LOGGER.setLevel(logging.DEBUG)
    try:
        yield counter
    finally:
        _LOGGER.removeHandler(counter)
        _LOGGER.setLevel(previous_level)
