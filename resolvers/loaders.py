"""Per-request dataloaders: every relation of the graph is loaded in batches, results in key
order, so a nested read costs the same number of queries whatever its size.

Pages per parent (`steps(first: 20)` on each of 50 tasks) are one windowed query
(ROW_NUMBER() OVER (PARTITION BY parent ...)) for the ids, then one query for the rows.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from infra.batch_sql import BatchQuery, columns
from models import Chunk, Citation, KnowledgeDocument, Step, Task, TaskDocument

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
M = TypeVar("M", bound=Model)

# (parent id, page size + 1, position to continue after or None)
PageKey = tuple[int, int, int | None]


class ManyLoader(Generic[K, V]):
    """Batches every `load_many` made in one turn of the event loop into one fetch, with one
    future per call rather than per key: a nested read asks for thousands of keys at once."""

    def __init__(self, fetch: Callable[[list[K]], Awaitable[Sequence[V]]]) -> None:
        self._fetch = fetch
        self._pending: list[tuple[list[K], asyncio.Future[list[V]]]] = []
        self._cache: dict[K, V] = {}

    def load_many(self, keys: Iterable[K]) -> asyncio.Future[list[V]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[V]] = loop.create_future()
        self._pending.append((list(keys), future))
        if len(self._pending) == 1:
            loop.call_soon(lambda: loop.create_task(self._dispatch()))
        return future

    async def load(self, key: K) -> V:
        return (await self.load_many([key]))[0]

    async def _dispatch(self) -> None:
        batch, self._pending = self._pending, []
        wanted = list(dict.fromkeys(k for keys, _ in batch for k in keys if k not in self._cache))
        try:
            if wanted:
                self._cache.update(zip(wanted, await self._fetch(wanted), strict=True))
        except Exception as error:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for keys, future in batch:
            if not future.done():
                future.set_result([self._cache[key] for key in keys])


class Loaders:
    """The loaders of one request, made on first use."""

    def __init__(self) -> None:
        self._made: dict[str, DataLoader[Any, Any]] = {}
        self._many: dict[str, ManyLoader[Any, Any]] = {}

    def _get(
        self, name: str, load: Callable[[list[Any]], Awaitable[Sequence[Any]]]
    ) -> DataLoader[Any, Any]:
        if name not in self._made:
            self._made[name] = DataLoader(load_fn=load)
        return self._made[name]

    @property
    def task_by_id(self) -> DataLoader[int, Task | None]:
        return self._get("task_by_id", _by_id(Task))

    @property
    def chunk_by_id(self) -> DataLoader[int, Chunk | None]:
        return self._get("chunk_by_id", _by_id(Chunk))

    @property
    def document_by_id(self) -> DataLoader[int, KnowledgeDocument | None]:
        return self._get("document_by_id", _by_id(KnowledgeDocument))

    def steps_page(self, fields: tuple[str, ...] | None = None) -> DataLoader[PageKey, list[Step]]:
        """Pages of steps with all their fields, or with their keys and `fields` only (a step's
        `result` and `created`, parsed for each row, are seldom asked for in a list)."""
        names = None if fields is None else ("id", "task_id", "index", *fields)
        return self._get(f"steps_page {names}", _pages(Step, "task_id", "index", names))

    @property
    def chunks_page(self) -> DataLoader[PageKey, list[Chunk]]:
        return self._get("chunks_page", _pages(Chunk, "document_id", "index"))

    def _get_many(
        self, name: str, fetch: Callable[[list[Any]], Awaitable[Sequence[Any]]]
    ) -> ManyLoader[Any, Any]:
        if name not in self._many:
            self._many[name] = ManyLoader(fetch)
        return self._many[name]

    @property
    def task_documents_by_task(self) -> ManyLoader[int, list[TaskDocument]]:
        return self._get_many("task_documents_by_task", _task_documents_by_task)

    @property
    def documents_by_step(self) -> ManyLoader[int, list[TaskDocument]]:
        return self._get_many("documents_by_step", _documents_by_step)

    @property
    def task_document_text(self) -> ManyLoader[int, str | None]:
        return self._get_many("task_document_text", _task_document_texts)

    @property
    def citations_by_step(self) -> ManyLoader[int, list[Citation]]:
        return self._get_many("citations_by_step", _citations_by_step)


def _by_id(model: type[M]) -> Callable[[list[int]], Awaitable[list[M | None]]]:
    async def load(ids: list[int]) -> list[M | None]:
        query = BatchQuery()
        table = model._meta.db_table
        sql = f'SELECT {columns(model)} FROM "{table}" WHERE {query.among("id", ids)}'  # noqa: S608
        rows = {row.pk: row for row in await query.models(model, sql)}
        return [rows.get(pk) for pk in ids]

    return load


def _grouped(rows: Sequence[V], key: Callable[[V], K], keys: Sequence[K]) -> list[list[V]]:
    groups: dict[K, list[V]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return [groups.get(k, []) for k in keys]


# Workspace files without their timestamps, which nothing shows and which cost a parse each.
# Nor their text, which can be long and is loaded only when asked for (task_document_text).
TASK_DOCUMENT_COLUMNS = ("id", "task_id", "filename", "content_type", "size", "sha256", "metadata")


async def _task_documents_where(query: BatchQuery, column: str, ids: Iterable[int]) -> list[Any]:
    sql = (
        f"SELECT {columns(TaskDocument, TASK_DOCUMENT_COLUMNS)} FROM task_documents "  # noqa: S608
        f"WHERE {query.among(column, ids)} ORDER BY id"
    )
    return await query.models(TaskDocument, sql)


async def _task_documents_by_task(task_ids: list[int]) -> list[list[TaskDocument]]:
    rows = await _task_documents_where(BatchQuery(), "task_id", task_ids)
    return _grouped(rows, lambda d: d.task_id, task_ids)


async def _task_document_texts(ids: list[int]) -> list[str | None]:
    query = BatchQuery()
    sql = f"SELECT id, text FROM task_documents WHERE {query.among('id', ids)}"  # noqa: S608
    texts = {row["id"]: row["text"] for row in await query.rows(sql)}
    return [texts.get(pk) for pk in ids]


async def _documents_by_step(step_ids: list[int]) -> list[list[TaskDocument]]:
    query = BatchQuery()
    sql = (
        "SELECT step_id, document_id FROM step_documents "  # noqa: S608
        f"WHERE {query.among('step_id', step_ids)} ORDER BY id"
    )
    links = await query.rows(sql)
    # A file read by many steps is loaded, and later shaped, once.
    wanted = dict.fromkeys(link["document_id"] for link in links)
    documents = {d.id: d for d in await _task_documents_where(BatchQuery(), "id", wanted)}
    by_step: dict[int, dict[int, TaskDocument]] = defaultdict(dict)
    for link in links:
        by_step[link["step_id"]][link["document_id"]] = documents[link["document_id"]]
    return [list(by_step[step_id].values()) for step_id in step_ids]


async def _citations_by_step(step_ids: list[int]) -> list[list[Citation]]:
    query = BatchQuery()
    sql = (
        f"SELECT {columns(Citation)} FROM citations "  # noqa: S608
        f"WHERE {query.among('step_id', step_ids)} ORDER BY id"
    )
    rows = await query.models(Citation, sql)
    await Citation.fetch_for_list(rows, "chunk__document")
    return _grouped(rows, lambda c: c.step_id, step_ids)


def _pages(
    model: type[M], parent: str, position: str, names: Sequence[str] | None = None
) -> Callable[[list[PageKey]], Awaitable[list[list[M]]]]:
    """Loads pages of children for many parents (their columns `names`, or all): one windowed
    query per distinct page shape (size, cursor), usually one in all."""

    async def load(keys: list[PageKey]) -> list[list[M]]:
        shapes: dict[tuple[int, int | None], list[int]] = defaultdict(list)
        for parent_id, size, after in keys:
            shapes[(size, after)].append(parent_id)
        found: dict[PageKey, list[M]] = {}
        for (size, after), parents in shapes.items():
            rows = await _window(model, parent, position, parents, size, after, names)
            pages = _grouped(rows, lambda row: getattr(row, parent), parents)
            for parent_id, page in zip(parents, pages, strict=True):
                found[(parent_id, size, after)] = page
        return [found[key] for key in keys]

    return load


async def _window(
    model: type[M],
    parent: str,
    position: str,
    parents: list[int],
    size: int,
    after: int | None,
    names: Sequence[str] | None,
) -> list[M]:
    """The first `size` children (after `after`, if given) of each parent, in parent and
    position order."""
    query = BatchQuery()
    condition = query.among(f'"{parent}"', parents)
    if after is not None:
        condition += f' AND "{position}" > {query.param(after)}'
    wanted = columns(model, names)
    sql = (
        f"SELECT {wanted} FROM (SELECT {wanted}, ROW_NUMBER() OVER "  # noqa: S608
        f'(PARTITION BY "{parent}" ORDER BY "{position}") AS row_number '
        f'FROM "{model._meta.db_table}" WHERE {condition}) AS ranked '
        f'WHERE row_number <= {query.param(size)} ORDER BY "{parent}", "{position}"'
    )
    return await query.models(model, sql)
