"""`taskloom ingest` and `taskloom worker`: acting as the user named on the command line, and
following the ingestion of the files queued for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from infra.errors import NotFound
from models import IngestionJob, IngestionStatus, KnowledgeDocument, User
from resolvers.context import RequestContext, Services


@dataclass(frozen=True, slots=True)
class FileProgress:
    """Where one queued file stands."""

    id: int
    description: str  # the file's path, as the command gave it
    size: int
    progress: float  # from 0.0 to 1.0
    finished: bool  # READY or FAILED: it will not change again
    failed: bool
    error: str | None
    chunk_count: int

    @classmethod
    def of(cls, document: KnowledgeDocument) -> FileProgress:
        failed = document.status is IngestionStatus.FAILED
        return cls(
            id=document.id,
            description=document.description,
            size=document.size,
            progress=document.progress,
            finished=failed or document.status is IngestionStatus.READY,
            failed=failed,
            error=document.error,
            chunk_count=document.chunk_count,
        )


async def context_for_username(services: Services, username: str) -> RequestContext:
    """A context acting as the user of this name (any letter case); NOT_FOUND if none is."""
    user = await User.get_or_none(username_key=username.lower())
    if user is None:
        raise NotFound(f"no user named {username}")
    return RequestContext.for_user(services, user)


async def files_progress(document_ids: Sequence[int]) -> list[FileProgress]:
    documents = await KnowledgeDocument.filter(id__in=list(document_ids))
    return [FileProgress.of(document) for document in documents]


async def jobs_left() -> bool:
    """Whether any ingestion job is still queued or running."""
    return await IngestionJob.exists()
