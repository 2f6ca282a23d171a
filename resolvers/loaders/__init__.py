"""Per-request dataloaders: every relation of the graph is loaded in batches, results in key
order, so a nested read costs the same number of queries whatever its size.

Table and column names come from the models' meta (names.py); each statement's text, the same
for every request on a dialect, is written once and reused.
"""

from __future__ import annotations

from functools import cached_property

from resolvers.loaders.by_id import (
    ChunkByIdLoader,
    KnowledgeDocumentByIdLoader,
    TaskByIdLoader,
)
from resolvers.loaders.citations import CitationsByStepIdLoader
from resolvers.loaders.pages import (
    ChunksByDocumentIdLoader,
    StepsByTaskIdLoader,
)
from resolvers.loaders.task_documents import (
    TaskDocumentsByStepIdLoader,
    TaskDocumentsByTaskIdLoader,
    TaskDocumentTextByIdLoader,
)


class Loaders:
    """The loaders of one request, each made on first use (a request that reads no relation,
    `{ me { id } }`, makes none)."""

    def __init__(self) -> None:
        self._steps_pages: dict[tuple[str, ...] | None, StepsByTaskIdLoader] = {}

    @cached_property
    def task_by_id(self) -> TaskByIdLoader:
        return TaskByIdLoader()

    @cached_property
    def chunk_by_id(self) -> ChunkByIdLoader:
        return ChunkByIdLoader()

    @cached_property
    def document_by_id(self) -> KnowledgeDocumentByIdLoader:
        return KnowledgeDocumentByIdLoader()

    def steps_page(self, fields: tuple[str, ...] | None = None) -> StepsByTaskIdLoader:
        """Pages of steps with all their fields, or with their keys and `fields` only."""
        loader = self._steps_pages.get(fields)
        if loader is None:
            loader = self._steps_pages[fields] = StepsByTaskIdLoader(fields)
        return loader

    @cached_property
    def chunks_page(self) -> ChunksByDocumentIdLoader:
        return ChunksByDocumentIdLoader()

    @cached_property
    def task_documents_by_task(self) -> TaskDocumentsByTaskIdLoader:
        return TaskDocumentsByTaskIdLoader()

    @cached_property
    def documents_by_step(self) -> TaskDocumentsByStepIdLoader:
        return TaskDocumentsByStepIdLoader()

    @cached_property
    def task_document_text(self) -> TaskDocumentTextByIdLoader:
        return TaskDocumentTextByIdLoader()

    @cached_property
    def citations_by_step(self) -> CitationsByStepIdLoader:
        return CitationsByStepIdLoader()
