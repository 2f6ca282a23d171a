"""The batched reads build their models as Tortoise's own executor would, field for field: the
same values (JSON parsed, datetimes in UTC, nulls kept) and the same bookkeeping."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise.models import Model

from infra.batch_sql import BatchQuery, columns
from models import Chunk, Citation, KnowledgeDocument, Step, Task, TaskDocument
from resolvers.ids import decode_id
from resolvers.loaders.task_documents import TASK_DOCUMENT_COLUMNS
from tests.graph.seed import seed_graph
from tests.support.api import register


async def _both_ways(model: type[Model], names: tuple[str, ...] | None) -> list[tuple[Any, Any]]:
    query = BatchQuery()
    table = model._meta.db_table
    sql = f'SELECT {columns(model, names)} FROM "{table}" ORDER BY id'
    ours = await query.models(model, sql)
    executor = query.connection.executor_class(model=model, db=query.connection)
    theirs = list(await executor.execute_select(sql, []))
    return list(zip(ours, theirs, strict=True))


@pytest.mark.parametrize(
    ("model", "names"),
    [
        (Task, None),
        (Step, None),
        (TaskDocument, None),
        (TaskDocument, TASK_DOCUMENT_COLUMNS),  # some columns: a partial model
        (Citation, None),
        (Chunk, None),
        (KnowledgeDocument, None),
    ],
)
async def test_batched_rows_become_the_models_tortoise_makes(client, model, names):
    user = await register(client)
    _, user_pk = decode_id(user["user"]["id"])
    await seed_graph(user_pk, tasks=2, steps=2, documents=2)
    await TaskDocument.filter(task__owner_id=user_pk).limit(1).update(text=None)  # a null

    pairs = await _both_ways(model, names)

    assert pairs
    for ours, theirs in pairs:
        assert type(ours) is type(theirs)
        assert vars(ours) == vars(theirs)
        kinds = {name: type(value) for name, value in vars(ours).items()}
        assert kinds == {name: type(value) for name, value in vars(theirs).items()}
