"""The files of tasks' workspaces: by task, by the steps that read or wrote them, and their
text by file id."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import cache

from infra.batch_sql import BatchQuery, columns
from models import StepDocument, TaskDocument
from resolvers.loaders.batching import ManyLoader, grouped
from resolvers.loaders.names import column, pk_column, table

# Workspace files without their timestamps, which nothing shows and which cost a parse each.
# Nor their text, which can be long and is loaded only when asked for (task_document_text).
# Field names; the statement reads their columns from the model's meta.
TASK_DOCUMENT_COLUMNS = ("id", "task_id", "filename", "content_type", "size", "sha256", "metadata")


class TaskDocumentsByTaskIdLoader(ManyLoader[int, list[TaskDocument]]):
    async def fetch(self, keys: list[int]) -> list[list[TaskDocument]]:
        rows = await _task_documents_where(column(TaskDocument, "task_id"), keys)
        return grouped(rows, lambda document: document.task_id, keys)


class TaskDocumentsByStepIdLoader(ManyLoader[int, list[TaskDocument]]):
    """The files each step read or wrote, each once per step."""

    async def fetch(self, keys: list[int]) -> list[list[TaskDocument]]:
        step_column, document_column = _link_columns()
        query = BatchQuery()
        links = await query.rows(_links_sql(query.among(step_column, keys)))
        # A file read by many steps is loaded, and later shaped, once.
        wanted = dict.fromkeys(link[document_column] for link in links)
        rows = await _task_documents_where(pk_column(TaskDocument), wanted)
        documents = {document.id: document for document in rows}
        by_step: dict[int, dict[int, TaskDocument]] = defaultdict(dict)
        for link in links:
            document_id = link[document_column]
            by_step[link[step_column]][document_id] = documents[document_id]
        return [list(by_step[step_id].values()) for step_id in keys]


class TaskDocumentTextByIdLoader(ManyLoader[int, str | None]):
    """A file's extracted text; None when it has none, or for a key with no file."""

    async def fetch(self, keys: list[int]) -> list[str | None]:
        id_column, text_column = pk_column(TaskDocument), column(TaskDocument, "text")
        query = BatchQuery()
        rows = await query.rows(_texts_sql(query.among(id_column, keys)))
        texts = {row[id_column]: row[text_column] for row in rows}
        return [texts.get(pk) for pk in keys]


async def _task_documents_where(key_column: str, ids: Iterable[int]) -> list[TaskDocument]:
    query = BatchQuery()
    sql = _task_documents_sql(query.among(key_column, ids))
    return await query.models(TaskDocument, sql)


# Each statement's `condition` holds placeholders only (the ids are one parameter), so there is
# one text per dialect and key column, written on first use.


@cache
def _task_documents_sql(condition: str) -> str:
    names = tuple(column(TaskDocument, field) for field in TASK_DOCUMENT_COLUMNS)
    return (
        f"SELECT {columns(TaskDocument, names)} FROM {table(TaskDocument)} "  # noqa: S608
        f"WHERE {condition} ORDER BY {pk_column(TaskDocument)}"
    )


@cache
def _texts_sql(condition: str) -> str:
    id_column, text_column = pk_column(TaskDocument), column(TaskDocument, "text")
    return (
        f"SELECT {id_column}, {text_column} FROM {table(TaskDocument)} "  # noqa: S608
        f"WHERE {condition}"
    )


def _link_columns() -> tuple[str, str]:
    return column(StepDocument, "step_id"), column(StepDocument, "document_id")


@cache
def _links_sql(condition: str) -> str:
    step_column, document_column = _link_columns()
    return (
        f"SELECT {step_column}, {document_column} FROM {table(StepDocument)} "  # noqa: S608
        f"WHERE {condition} ORDER BY {pk_column(StepDocument)}"
    )
