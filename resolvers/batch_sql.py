"""Hand-written SQL for the batched reads of the nested graph, run through Tortoise's connection.

A batch asks for thousands of ids at once. Through the query builder each id becomes its own
parameter object (a third of a nested read's CPU went there); here the whole list is a single
parameter: a PostgreSQL array (`= ANY($1)`), or a JSON array that SQLite unpacks with
`json_each`. Rows still become models through Tortoise's own executor, so fields are converted
exactly as in any other query.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

M = TypeVar("M", bound=Model)


class BatchQuery:
    """Collects a statement's parameters and writes the placeholders of the connection's
    dialect. Identifiers in the SQL come from this package's own code, never from a request."""

    def __init__(self) -> None:
        self.connection: BaseDBAsyncClient = connections.get("default")
        self.postgres = self.connection.schema_generator.DIALECT == "postgres"
        self.values: list[Any] = []

    def param(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.postgres else "?"

    def among(self, column: str, ids: Iterable[int]) -> str:
        """A condition: `column` is one of `ids`, passed as one parameter."""
        wanted = list(ids)
        if self.postgres:
            return f"{column} = ANY({self.param(wanted)})"
        return f"{column} IN (SELECT value FROM json_each({self.param(json.dumps(wanted))}))"  # noqa: S608

    async def rows(self, sql: str) -> Sequence[Any]:
        _, rows = await self.connection.execute_query(sql, self.values)
        return rows

    async def models(self, model: type[M], sql: str) -> list[M]:
        executor = self.connection.executor_class(model=model, db=self.connection)
        return list(await executor.execute_select(sql, self.values))


def columns(model: type[Model], names: Sequence[str] | None = None) -> str:
    """The quoted column list of `model`, or of `names` only."""
    return ", ".join(f'"{name}"' for name in (names or model._meta.db_fields))
