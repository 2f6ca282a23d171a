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
from tortoise import connections
from tortoise.models import Model

from models import Chunk, Citation, KnowledgeDocument, Step, StepDocument, Task, TaskDocument

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
    def document_by_id(self) -> DataLoader[int, KnowledgeDocument | None]:
        return self._get("document_by_id", _by_id(KnowledgeDocument))

    @property
    def steps_page(self) -> DataLoader[PageKey, list[Step]]:
        return self._get("steps_page", _pages(Step, "steps", "task_id", "index"))

    @property
    def chunks_page(self) -> DataLoader[PageKey, list[Chunk]]:
        return self._get("chunks_page", _pages(Chunk, "chunks", "document_id", "index"))

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
        rows = {row.pk: row for row in await model.filter(id__in=ids)}
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


async def _task_documents_by_task(task_ids: list[int]) -> list[list[TaskDocument]]:
    query = TaskDocument.filter(task_id__in=task_ids).only(*TASK_DOCUMENT_COLUMNS)
    rows = await query.order_by("id")
    return _grouped(rows, lambda d: d.task_id, task_ids)


async def _task_document_texts(ids: list[int]) -> list[str | None]:
    rows = await TaskDocument.filter(id__in=ids).values("id", "text")
    texts = {row["id"]: row["text"] for row in rows}
    return [texts.get(pk) for pk in ids]


async def _documents_by_step(step_ids: list[int]) -> list[list[TaskDocument]]:
    links = (
        await StepDocument.filter(step_id__in=step_ids)
        .order_by("id")
        .values("step_id", "document_id")
    )
    wanted = {link["document_id"] for link in links}
    documents = {
        d.id: d for d in await TaskDocument.filter(id__in=wanted).only(*TASK_DOCUMENT_COLUMNS)
    }
    by_step: dict[int, dict[int, TaskDocument]] = defaultdict(dict)
    for link in links:
        by_step[link["step_id"]][link["document_id"]] = documents[link["document_id"]]
    return [list(by_step[step_id].values()) for step_id in step_ids]


async def _citations_by_step(step_ids: list[int]) -> list[list[Citation]]:
    rows = (
        await Citation.filter(step_id__in=step_ids)
        .order_by("id")
        .prefetch_related("chunk__document")
    )
    return _grouped(rows, lambda c: c.step_id, step_ids)


def _pages(
    model: type[M], table: str, parent: str, position: str
) -> Callable[[list[PageKey]], Awaitable[list[list[M]]]]:
    """Loads pages of children for many parents: one windowed query per distinct page shape
    (size, cursor) for the ids, then one query for all their rows."""

    async def load(keys: list[PageKey]) -> list[list[M]]:
        shapes: dict[tuple[int, int | None], list[int]] = defaultdict(list)
        for parent_id, size, after in keys:
            shapes[(size, after)].append(parent_id)
        wanted: list[int] = []
        for (size, after), parents in shapes.items():
            wanted += await _window_ids(table, parent, position, parents, size, after)
        rows = await model.filter(id__in=wanted).order_by(position)
        found: dict[tuple[int, int | None], list[M]] = defaultdict(list)
        by_parent: dict[int, list[M]] = defaultdict(list)
        for row in rows:
            by_parent[getattr(row, parent)].append(row)
        for (size, after), parents in shapes.items():
            for parent_id in parents:
                page = [
                    r for r in by_parent[parent_id] if after is None or getattr(r, position) > after
                ]
                found[(parent_id, after)] = page[:size]
        return [found[(parent_id, after)] for parent_id, _, after in keys]

    return load


async def _window_ids(
    table: str, parent: str, position: str, parents: list[int], size: int, after: int | None
) -> list[int]:
    connection = connections.get("default")
    postgres = connection.schema_generator.DIALECT == "postgres"
    values: list[Any] = [*parents]
    marks = [f"${n}" if postgres else "?" for n in range(1, len(parents) + 1)]
    condition = f'"{parent}" IN ({", ".join(marks)})'
    if after is not None:
        values.append(after)
        condition += f' AND "{position}" > ' + (f"${len(values)}" if postgres else "?")
    values.append(size)
    limit = f"${len(values)}" if postgres else "?"
    # Identifiers come from this module's own calls, never from a request.
    sql = (
        f'SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY "{parent}" '  # noqa: S608
        f'ORDER BY "{position}") AS row_number FROM "{table}" WHERE {condition}) AS ranked '
        f"WHERE row_number <= {limit}"
    )
    _, rows = await connection.execute_query(sql, values)
    return [row["id"] for row in rows]
