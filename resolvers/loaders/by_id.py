"""Rows by primary key."""

from __future__ import annotations

from functools import cache, partial
from typing import TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from infra.batch_sql import BatchQuery, columns
from models import Chunk, KnowledgeDocument, Task
from resolvers.loaders.names import pk_column, table

M = TypeVar("M", bound=Model)


class ByIdLoader(DataLoader[int, M | None]):
    """Rows of one model by primary key, in key order; None for a key with no row."""

    def __init__(self, model: type[M]) -> None:
        # Not a bound method: the loader would then hold itself in a cycle, and every row it
        # cached would wait for the cycle collector rather than go with the request.
        super().__init__(load_fn=partial(_rows_by_id, model))


async def _rows_by_id(model: type[M], ids: list[int]) -> list[M | None]:
    query = BatchQuery()
    sql = _select_where(model, query.among(pk_column(model), ids))
    rows = {row.pk: row for row in await query.models(model, sql)}
    return [rows.get(pk) for pk in ids]


class TaskByIdLoader(ByIdLoader[Task]):
    def __init__(self) -> None:
        super().__init__(Task)


class ChunkByIdLoader(ByIdLoader[Chunk]):
    def __init__(self) -> None:
        super().__init__(Chunk)


class KnowledgeDocumentByIdLoader(ByIdLoader[KnowledgeDocument]):
    def __init__(self) -> None:
        super().__init__(KnowledgeDocument)


@cache
def _select_where(model: type[Model], condition: str) -> str:
    # `condition` holds placeholders only (the ids are one parameter): one text per dialect.
    return f'SELECT {columns(model)} FROM "{table(model)}" WHERE {condition}'  # noqa: S608
