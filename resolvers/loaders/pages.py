"""Pages of children for many parents at once (`steps(first: 20)` on each of 50 tasks): one
windowed query (ROW_NUMBER() OVER (PARTITION BY parent ...)) per distinct page shape."""

from __future__ import annotations

from collections import defaultdict
from functools import cache, partial
from typing import TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from infra.batch_sql import BatchQuery, columns
from models import Chunk, Step
from resolvers.loaders.batching import grouped
from resolvers.loaders.names import column, pk_column, table

M = TypeVar("M", bound=Model)

# (parent id, page size + 1, position to continue after or None)
PageKey = tuple[int, int, int | None]


class PagesByParentLoader(DataLoader[PageKey, list[M]]):
    """Pages of `model`'s rows per parent, in `position` order: all their fields, or their keys
    (id, parent, position) and `fields` only. `parent` and `position` are field names."""

    def __init__(
        self,
        model: type[M],
        parent: str,
        position: str,
        fields: tuple[str, ...] | None = None,
    ) -> None:
        statement = _window_statement(model, parent, position, fields)
        # Not a bound method: the loader would then hold itself in a cycle, and every row it
        # cached would wait for the cycle collector rather than go with the request.
        super().__init__(load_fn=partial(_pages, model, parent, statement))


async def _pages(
    model: type[M], parent: str, statement: _WindowStatement, keys: list[PageKey]
) -> list[list[M]]:
    # Usually one shape (size, cursor) in all, hence usually one query.
    shapes: dict[tuple[int, int | None], list[int]] = defaultdict(list)
    for parent_id, size, after in keys:
        shapes[(size, after)].append(parent_id)
    found: dict[PageKey, list[M]] = {}
    for (size, after), parents in shapes.items():
        rows = await _window(model, statement, parents, size, after)
        pages = grouped(rows, lambda row: getattr(row, parent), parents)
        for parent_id, page in zip(parents, pages, strict=True):
            found[(parent_id, size, after)] = page
    return [found[key] for key in keys]


async def _window(
    model: type[M],
    statement: _WindowStatement,
    parents: list[int],
    size: int,
    after: int | None,
) -> list[M]:
    """The first `size` children (after `after`, if given) of each parent, in parent and
    position order."""
    query = BatchQuery()
    among_parents = query.among(statement.parent, parents)
    after_placeholder = None if after is None else query.param(after)
    sql = statement.text(among_parents, after_placeholder, query.param(size))
    return await query.models(model, sql)


class StepsByTaskIdLoader(PagesByParentLoader[Step]):
    """Pages of steps with all their fields, or with their keys and `fields` only (a step's
    `result` and `created`, parsed for each row, are seldom asked for in a list)."""

    def __init__(self, fields: tuple[str, ...] | None = None) -> None:
        super().__init__(Step, parent="task_id", position="index", fields=fields)


class ChunksByDocumentIdLoader(PagesByParentLoader[Chunk]):
    def __init__(self) -> None:
        super().__init__(Chunk, parent="document_id", position="index")


class _WindowStatement:
    """The windowed query of one model, parent, position and column set. Its text differs only
    by placeholders (the dialect's, and whether there is a cursor), so each is written once."""

    def __init__(
        self, model: type[Model], parent: str, position: str, fields: tuple[str, ...] | None
    ) -> None:
        parent_column, position_column = column(model, parent), column(model, position)
        names = None
        if fields is not None:
            wanted = (pk_column(model), parent_column, position_column)
            names = (*wanted, *(column(model, field) for field in fields))
        self.parent = f'"{parent_column}"'
        self.position = f'"{position_column}"'
        self.columns = columns(model, names)
        self.table = table(model)
        self._texts: dict[tuple[str, str | None, str], str] = {}

    def text(self, among_parents: str, after_placeholder: str | None, size_placeholder: str) -> str:
        key = (among_parents, after_placeholder, size_placeholder)
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = self._write(*key)
        return text

    def _write(
        self, among_parents: str, after_placeholder: str | None, size_placeholder: str
    ) -> str:
        condition = among_parents
        if after_placeholder is not None:
            condition += f" AND {self.position} > {after_placeholder}"
        wanted, parent, position = self.columns, self.parent, self.position
        return (
            f"SELECT {wanted} FROM (SELECT {wanted}, ROW_NUMBER() OVER "  # noqa: S608
            f"(PARTITION BY {parent} ORDER BY {position}) AS row_number "
            f'FROM "{self.table}" WHERE {condition}) AS ranked '
            f"WHERE row_number <= {size_placeholder} ORDER BY {parent}, {position}"
        )


@cache
def _window_statement(
    model: type[Model], parent: str, position: str, fields: tuple[str, ...] | None
) -> _WindowStatement:
    return _WindowStatement(model, parent, position, fields)
