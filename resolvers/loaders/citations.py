"""What each step cited, with the cited chunk and its document."""

from __future__ import annotations

from functools import cache

from infra.batch_sql import BatchQuery, columns
from models import Citation
from resolvers.loaders.batching import ManyLoader, grouped
from resolvers.loaders.names import column, pk_column, table


class CitationsByStepIdLoader(ManyLoader[int, list[Citation]]):
    async def fetch(self, keys: list[int]) -> list[list[Citation]]:
        query = BatchQuery()
        sql = _citations_sql(query.among(column(Citation, "step_id"), keys))
        rows = await query.models(Citation, sql)
        await Citation.fetch_for_list(rows, "chunk__document")
        return grouped(rows, lambda citation: citation.step_id, keys)


@cache
def _citations_sql(condition: str) -> str:
    # `condition` holds placeholders only (the ids are one parameter): one text per dialect.
    return (
        f"SELECT {columns(Citation)} FROM {table(Citation)} "  # noqa: S608
        f"WHERE {condition} ORDER BY {pk_column(Citation)}"
    )
