"""Hand-written SQL for the batched reads of the nested graph, run through Tortoise's connection.

A batch asks for thousands of ids at once. Through the query builder each id becomes its own
parameter object (a third of a nested read's CPU went there); here the whole list is a single
parameter: a PostgreSQL array (`= ANY($1)`), or a JSON array that SQLite unpacks with
`json_each`. Rows become models with each field's own conversion, as in any other query (see
`_Hydration` for what is done differently, and why).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any, TypeVar

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from infra.dialects import is_postgres

M = TypeVar("M", bound=Model)


class BatchQuery:
    """Collects a statement's parameters and writes the placeholders of the connection's
    dialect. Identifiers in the SQL come from this package's own code, never from a request."""

    def __init__(self) -> None:
        self.connection: BaseDBAsyncClient = connections.get("default")
        self.postgres = is_postgres(self.connection)
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
        """The rows of `sql` as instances of `model`; the statement's columns are model fields."""
        rows = await self.rows(sql)
        dialect = self.connection.capabilities.dialect
        instances: list[M] = []
        for start in range(0, len(rows), HYDRATED_PER_TURN):
            if start:
                await asyncio.sleep(0)  # a long result does not hold the loop for the others
            instances.extend(as_models(model, rows[start : start + HYDRATED_PER_TURN], dialect))
        return instances


def columns(model: type[Model], names: Sequence[str] | None = None) -> str:
    """The quoted column list of `model`, or of `names` only."""
    return ", ".join(f'"{name}"' for name in (names or model._meta.db_fields))


HYDRATED_PER_TURN = 2000  # as Tortoise's executor does
Convert = Callable[[Any], Any]


class _Hydration:
    """Rows of some columns to instances of a model, in the state Tortoise's `_init_from_db`
    leaves them: each field converted as the field says (as-is for the fields the driver
    converts, the field's type for plain ones, `to_python_value` for the rest), and the same
    bookkeeping. Two costs of `_init_from_db` are left out: its four bookkeeping assignments go
    through `Model.__setattr__` (an `hasattr` and two membership tests each), and a row with
    fewer columns than the model falls to its slower "partial" loop. Measured on the nested
    read's rows from PostgreSQL: 2,000 steps in 4.8 ms against 9.8 ms, 200 workspace files (some
    columns) in 0.16 ms against 0.93 ms. tests/graph/test_hydration.py checks the instances
    against Tortoise's own, attribute by attribute, for every model a loader reads."""

    def __init__(self, model: type[Model], columns: tuple[str, ...]) -> None:
        meta = model._meta
        native = {key for key, _, _ in meta.db_native_fields}
        plain = {key: field.field_type for key, _, field in meta.db_default_fields}
        self.model = model
        self.fields: list[tuple[str, str, Convert | None, bool]] = []
        for column in columns:
            attribute = meta.fields_db_projection_reverse[column]
            if column in native:
                self.fields.append((column, attribute, None, False))
            elif column in plain:
                self.fields.append((column, attribute, plain[column], True))
            else:
                self.fields.append(
                    (column, attribute, meta.fields_map[attribute].to_python_value, False)
                )
        self.partial = set(columns) != set(meta.fields_db_projection.values())
        self.custom_generated_pk = meta.db_pk_column not in meta.generated_db_fields

    def instance(self, row: Any) -> Any:
        instance = self.model.__new__(self.model)
        values = instance.__dict__
        values["_partial"] = self.partial
        values["_saved_in_db"] = True
        values["_custom_generated_pk"] = self.custom_generated_pk
        values["_await_when_save"] = {}
        for column, attribute, convert, skips_none in self.fields:
            value = row[column]
            if convert is not None and not (skips_none and value is None):
                value = convert(value)
            values[attribute] = value
        return instance


def as_models(model: type[M], rows: Sequence[Any], dialect: str) -> list[M]:
    """Rows read on a connection of `dialect` (all with the same columns, model fields) as
    instances of `model`."""
    if not rows:
        return []
    hydration = _hydration(model, tuple(rows[0].keys()), dialect)
    return [hydration.instance(row) for row in rows]


@cache
def _hydration(model: type[Model], columns: tuple[str, ...], dialect: str) -> _Hydration:
    # Which fields the driver converts itself depends on the dialect, hence its part in the key.
    return _Hydration(model, columns)
