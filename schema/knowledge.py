"""The knowledge base: documents, chunks, search, uploads, and ingestion progress."""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload

import models
from resolvers import knowledge
from resolvers.errors import NotFound
from resolvers.ids import encode_id
from resolvers.ingestion import document_topic
from retrieval.stores.base import SearchMode as StoreSearchMode
from schema.info import Info
from schema.node import Node
from schema.pagination import Connection, connection, page_request

IngestionStatus = strawberry.enum(
    models.IngestionStatus, description="Where a document is on its way to being searchable."
)


@strawberry.enum(description="Which lists a search reads: words, meaning, or both fused.")
class SearchMode(enum.Enum):
    HYBRID = "hybrid"
    KEYWORD = "keyword"
    VECTOR = "vector"


@strawberry.type(description="A document of the knowledge base, cut into searchable chunks.")
class Document(Node):
    filename: str
    title: str
    description: str
    content_type: str
    progress: float = strawberry.field(description="0.0 to 1.0; 1.0 once every chunk is found.")
    status: IngestionStatus  # type: ignore[valid-type]
    error: str | None = strawberry.field(description="Why ingestion failed or is waiting.")
    chunk_count: int
    pk: strawberry.Private[int]
    model: strawberry.Private[models.KnowledgeDocument]

    @classmethod
    def of(cls, document: models.KnowledgeDocument) -> Document:
        return cls(
            id=strawberry.ID(encode_id("Document", document.id)),
            filename=document.filename,
            title=document.title,
            description=document.description,
            content_type=document.content_type,
            progress=document.progress,
            status=document.status,
            error=document.error,
            chunk_count=document.chunk_count,
            pk=document.id,
            model=document,
        )

    @strawberry.field(description="The chunks in document order.")
    async def chunks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Chunk]:
        request = page_request(first, after, info.context.settings.limits.max_first)
        rows = await info.context.loaders.chunks_page.load(
            (self.pk, request.first + 1, request.after)
        )
        return connection(
            rows,
            request,
            key=lambda chunk: chunk.index,
            node=lambda chunk: Chunk.of(chunk, self.model),
            total=self.chunk_count,
        )


@strawberry.type(description="A passage of a document, as indexed for search.")
class Chunk(Node):
    index: int = strawberry.field(description="Position in its document, from 0.")
    content: str
    document_id: strawberry.ID
    document_title: str
    document_description: str
    parent: strawberry.Private[models.KnowledgeDocument]

    @classmethod
    def of(cls, chunk: models.Chunk, document: models.KnowledgeDocument) -> Chunk:
        return cls(
            id=strawberry.ID(encode_id("Chunk", chunk.id)),
            index=chunk.index,
            content=chunk.content,
            document_id=strawberry.ID(encode_id("Document", document.id)),
            document_title=document.title,
            document_description=document.description,
            parent=document,
        )

    @strawberry.field
    def document(self) -> Document:
        return Document.of(self.parent)


@strawberry.type(description="A chunk found by a search, with the scores that ranked it.")
class SearchHit:
    chunk: Chunk
    score: float = strawberry.field(description="The fused score in the mode asked for.")
    keyword_score: float | None = strawberry.field(description="Normalised BM25 score, if any.")
    vector_score: float | None = strawberry.field(description="Normalised cosine score, if any.")

    @classmethod
    def of(cls, hit: knowledge.Hit) -> SearchHit:
        return cls(
            chunk=Chunk.of(hit.chunk, hit.chunk.document),
            score=hit.score,
            keyword_score=hit.keyword_score,
            vector_score=hit.vector_score,
        )


async def documents_connection(
    info: Info, first: int | None, after: str | None
) -> Connection[Document]:
    user = await info.context.viewer()
    request = page_request(first, after, info.context.settings.limits.max_first)
    query = models.KnowledgeDocument.filter(owner_id=user.id).order_by("-id")
    total = await query.count()
    if request.after is not None:
        query = query.filter(id__lt=request.after)
    rows = await query.limit(request.first + 1)
    return connection(rows, request, key=lambda d: d.id, node=Document.of, total=total)


@strawberry.type
class KnowledgeQuery:
    @strawberry.field(description="One of your documents.")
    async def document(self, info: Info, id: strawberry.ID) -> Document:
        return Document.of(await knowledge.owned_document(info.context, id))

    @strawberry.field(description="Your documents, newest first.")
    async def documents(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Document]:
        return await documents_connection(info, first, after)

    @strawberry.field(description="One chunk of one of your documents.")
    async def chunk(self, info: Info, id: strawberry.ID) -> Chunk:
        chunk = await knowledge.owned_chunk(info.context, id)
        return Chunk.of(chunk, chunk.document)

    @strawberry.field(description="Search your knowledge base.")
    async def search(
        self,
        info: Info,
        query: str,
        limit: int = 10,
        mode: SearchMode = SearchMode.HYBRID,
        alpha: Annotated[
            float | None, strawberry.argument(description="Weight of the vector list, 0 to 1.")
        ] = None,
        document_ids: list[strawberry.ID] | None = None,
    ) -> list[SearchHit]:
        hits = await knowledge.search(
            info.context,
            query,
            limit=limit,
            mode=StoreSearchMode(mode.value),
            alpha=alpha,
            document_ids=document_ids,
        )
        return [SearchHit.of(hit) for hit in hits]


@strawberry.type
class KnowledgeMutation:
    @strawberry.mutation(description="Upload a document; ingestion goes on in the background.")
    async def upload_document(
        self, info: Info, title: str, description: str, file: Upload
    ) -> Document:
        document = await knowledge.upload_document(
            info.context, title=title, description=description, upload=file
        )
        return Document.of(document)

    @strawberry.mutation(description="Delete a document; its chunks leave the index too.")
    async def delete_document(self, info: Info, id: strawberry.ID) -> bool:
        await knowledge.delete_document(info.context, id)
        return True


TERMINAL = {models.IngestionStatus.READY, models.IngestionStatus.FAILED}


@strawberry.type
class KnowledgeSubscription:
    @strawberry.subscription(
        description="The document now, then each change of progress or status, "
        "until it is ready or has failed."
    )
    async def document_progress(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[Document, None]:
        document = await knowledge.owned_document(info.context, id)
        # Subscribe before reading the state, so that no change falls in between.
        async with info.context.services.events.subscribe(document_topic(document.id)) as queue:
            while True:
                fresh = await models.KnowledgeDocument.get_or_none(id=document.id)
                if fresh is None:
                    raise NotFound("The document was deleted")
                yield Document.of(fresh)
                if fresh.status in TERMINAL:
                    return
                await queue.get()
                while not queue.empty():  # several changes while we were away: read once
                    queue.get_nowait()
