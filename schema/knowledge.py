"""The knowledge base: documents, chunks, search, uploads, and ingestion progress."""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload

import models
import retrieval.stores.base
from infra.errors import NotFound
from resolvers import knowledge
from resolvers.ids import encode_id
from resolvers.pages import page_request
from retrieval.ingestion import document_topic
from schema.info import Info
from schema.lookahead import selects
from schema.node import Node
from schema.pagination import (
    AFTER_DESCRIPTION,
    FIRST_DESCRIPTION,
    Connection,
    connection,
    page_connection,
)

# The values are described here as a whole: they belong to `models.IngestionStatus`.
IngestionStatus = strawberry.enum(
    models.IngestionStatus,
    description="Where a document is on its way to being searchable, in this order: QUEUED "
    "(waiting for a worker, or to retry after the embedder or index failed, `error` says why), "
    "EXTRACTING (reading the file's text and cutting it into chunks), EMBEDDING (computing the "
    "chunks' vectors), INDEXING (writing them to the search index), then READY (fully "
    "searchable) or FAILED (given up for good, `error` says why).",
)


@strawberry.enum(description="Which lists a search reads: words, meaning, or both fused.")
class SearchMode(enum.Enum):
    HYBRID = strawberry.enum_value(
        "hybrid",
        description="Both lists, fused into one ranking; `alpha` weighs the vector list.",
    )
    KEYWORD = strawberry.enum_value(
        "keyword", description="Words only: BM25 full-text matching of the query's terms."
    )
    VECTOR = strawberry.enum_value(
        "vector",
        description="Meaning only: the chunks whose embeddings are closest to the query's.",
    )


@strawberry.type(
    name="Document", description="A document of the knowledge base, cut into searchable chunks."
)
class KnowledgeDocument(Node):
    filename: str = strawberry.field(
        description="The uploaded file's name, without folders or control characters."
    )
    title: str = strawberry.field(description="The title given at upload, 1 to 500 characters.")
    description: str = strawberry.field(
        description="The description given at upload, up to 2000 characters; may be empty."
    )
    content_type: str = strawberry.field(
        description="The file's media type, as detected at upload, e.g. `application/pdf`."
    )
    progress: float = strawberry.field(
        description="Ingestion progress from 0.0 to 1.0; 1.0 once the document is READY."
    )
    status: IngestionStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where ingestion stands; the document is fully searchable once READY."
    )
    error: str | None = strawberry.field(
        description="Why ingestion failed (FAILED) or is waiting to retry (QUEUED); null otherwise."
    )
    chunk_count: int = strawberry.field(
        description="How many chunks the text was cut into; 0 before extraction or after a failure."
    )
    pk: strawberry.Private[int]
    model: strawberry.Private[models.KnowledgeDocument]

    @classmethod
    def of(cls, document: models.KnowledgeDocument) -> KnowledgeDocument:
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
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description=FIRST_DESCRIPTION)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    ) -> Connection[Chunk]:
        request = page_request(first, after, info.context.settings.limits.max_first)
        rows = await info.context.loaders.chunks_page.load(
            (self.pk, request.first + 1, request.after)
        )
        return connection(
            info,
            rows,
            request,
            key=lambda chunk: chunk.index,
            node=lambda chunk: Chunk.of(chunk, self.model),
            total=self.chunk_count,
        )


@strawberry.type(description="A passage of a document, as indexed for search.")
class Chunk(Node):
    index: int = strawberry.field(description="Position in its document, from 0.")
    content: str = strawberry.field(description="The chunk's text.")
    document_id: strawberry.ID = strawberry.field(
        description="The global id of the document the chunk belongs to."
    )
    document_title: str = strawberry.field(description="The title of the chunk's document.")
    document_description: str = strawberry.field(
        description="The description of the chunk's document; may be empty."
    )
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

    @strawberry.field(description="The document the chunk belongs to.")
    def document(self) -> KnowledgeDocument:
        return KnowledgeDocument.of(self.parent)


@strawberry.type(description="A chunk found by a search, with the scores that ranked it.")
class SearchHit:
    chunk: Chunk = strawberry.field(description="The chunk found.")
    score: float = strawberry.field(
        description="The score that ranked the hit in the mode asked for; higher is better, and "
        "scores compare only within one search."
    )
    keyword_score: float | None = strawberry.field(
        description="The keyword (BM25) score scaled 0 to 1 among this search's hits; null when "
        "the keyword list did not rank the chunk (always null in VECTOR mode)."
    )
    vector_score: float | None = strawberry.field(
        description="The vector (cosine) score scaled 0 to 1 among this search's hits; null when "
        "the vector list did not rank the chunk (always null in KEYWORD mode)."
    )

    @classmethod
    def of(cls, hit: knowledge.Hit) -> SearchHit:
        return cls(
            chunk=Chunk.of(hit.chunk, hit.document),
            score=hit.score,
            keyword_score=hit.keyword_score,
            vector_score=hit.vector_score,
        )


async def your_documents(
    info: Info,
    first: Annotated[int | None, strawberry.argument(description=FIRST_DESCRIPTION)] = None,
    after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
) -> Connection[KnowledgeDocument]:
    page = await knowledge.documents_page(
        info.context, first=first, after=after, count=selects(info, "totalCount")
    )
    return page_connection(info, page, KnowledgeDocument.of)


@strawberry.type
class KnowledgeQuery:
    @strawberry.field(description="One of your documents.")
    async def document(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The document's global id.")],
    ) -> KnowledgeDocument:
        return KnowledgeDocument.of(await knowledge.owned_document(info.context, id))

    documents: Connection[KnowledgeDocument] = strawberry.field(
        resolver=your_documents, description="Your documents, newest first."
    )

    @strawberry.field(description="One chunk of one of your documents.")
    async def chunk(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The chunk's global id.")],
    ) -> Chunk:
        chunk = await knowledge.owned_chunk(info.context, id)
        return Chunk.of(chunk, chunk.document)

    @strawberry.field(description="Search your knowledge base; the best hits come first.")
    async def search(
        self,
        info: Info,
        query: Annotated[
            str, strawberry.argument(description="What to look for, 1 to 1000 characters.")
        ],
        limit: Annotated[
            int, strawberry.argument(description="The most hits to return, 1 to 100.")
        ] = 10,
        mode: Annotated[
            SearchMode, strawberry.argument(description="Which lists to search.")
        ] = SearchMode.HYBRID,
        alpha: Annotated[
            float | None,
            strawberry.argument(
                description="Weight of the vector list in HYBRID mode, from 0 (words only) to 1 "
                "(meaning only); null uses the server's default, and other modes ignore it."
            ),
        ] = None,
        document_ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(
                description="Only search these documents (global ids); ids that are not your "
                "documents match nothing, and null searches them all."
            ),
        ] = None,
    ) -> list[SearchHit]:
        hits = await knowledge.search(
            info.context,
            query,
            limit=limit,
            mode=retrieval.stores.base.SearchMode(mode.value),
            alpha=alpha,
            document_ids=document_ids,
        )
        return [SearchHit.of(hit) for hit in hits]


@strawberry.type
class KnowledgeMutation:
    @strawberry.mutation(description="Upload a document; ingestion goes on in the background.")
    async def upload_document(
        self,
        info: Info,
        title: Annotated[
            str, strawberry.argument(description="The document's title, 1 to 500 characters.")
        ],
        description: Annotated[
            str,
            strawberry.argument(
                description="What the document is about, up to 2000 characters; may be empty."
            ),
        ],
        file: Annotated[
            Upload,
            strawberry.argument(
                description="The file as a multipart upload: text, Markdown, HTML, CSV, JSON, PDF "
                "or DOCX, up to the server's size limit (50 MiB by default)."
            ),
        ],
    ) -> KnowledgeDocument:
        document = await knowledge.upload_document(
            info.context, title=title, description=description, upload=file
        )
        return KnowledgeDocument.of(document)

    @strawberry.mutation(description="Delete a document; its chunks leave the index too.")
    async def delete_document(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The global id of the document.")
        ],
    ) -> bool:
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
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The global id of the document to follow."),
        ],
    ) -> AsyncGenerator[KnowledgeDocument, None]:
        document = await knowledge.owned_document(info.context, id)
        # Subscribe before reading the state, so that no change falls in between.
        events = info.context.services.events
        async with events.subscribe(document_topic(document.id)) as queue:
            last: KnowledgeDocument | None = None
            while True:
                await info.context.next_event()
                fresh = await knowledge.current_document(document)
                if fresh is None:
                    raise NotFound("The document was deleted")
                if (shaped := KnowledgeDocument.of(fresh)) != last:
                    yield shaped
                    last = shaped
                if fresh.status in TERMINAL:
                    return
                await events.wait(queue)
