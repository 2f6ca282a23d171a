"""Builds the engines from the settings, and runs them for the app's lifetime."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from agent import Provider, build_provider, default_tools
from infra.blobs.storage import BlobStore, LocalBlobStore
from infra.dialects import url_is_postgres
from infra.errors import Unavailable
from infra.events.bus import EventBus
from infra.events.postgres_relay import PostgresRelay
from infra.events.sqlite_watch import SQLiteWatcher
from infra.jobs.ingestion_queue import requeue_everything
from infra.jobs.runner import JobRunner, RunnerOptions
from infra.security.passwords import DummyHash
from infra.settings.values import Settings
from resolvers.context import AgentEngine, Services
from retrieval.embedders import Embedder, make_embedder
from retrieval.extraction import set_extraction_children
from retrieval.fusion import FusionMethod
from retrieval.ingestion import IngestionOptions, IngestionPipeline
from retrieval.retriever import Retriever
from retrieval.stores.base import ChunkStore, StoreUnavailable

logger = logging.getLogger("taskloom")


def build_embedder(settings: Settings) -> Embedder:
    retrieval, agent = settings.retrieval, settings.agent
    if retrieval.embedder == "minilm":
        return make_embedder("minilm", cache_dir=settings.data_dir / "models")
    if retrieval.embedder == "openai":
        return make_embedder(
            "openai",
            model=retrieval.embedding_model,
            base_url=agent.base_url,
            api_key=agent.api_key,
            **_if_set(dimension=retrieval.embedding_dimension),
        )
    return make_embedder(retrieval.embedder)


def build_store(settings: Settings) -> ChunkStore:
    retrieval = settings.retrieval
    if retrieval.weaviate_url:
        from retrieval.stores.weaviate import WeaviateStore

        return WeaviateStore(
            retrieval.weaviate_url,
            grpc_host=retrieval.weaviate_grpc_host,
            grpc_port=retrieval.weaviate_grpc_port,
            api_key=retrieval.weaviate_api_key,
            **_if_set(default_alpha=retrieval.alpha),
        )
    from retrieval.stores.embedded import EmbeddedStore

    return EmbeddedStore(
        settings.data_dir / "index.sqlite3",
        fusion=FusionMethod(retrieval.fusion),
        **_if_set(alpha=retrieval.alpha),
    )


def build_blob_store(settings: Settings) -> BlobStore:
    if settings.files.bucket:
        from infra.blobs.s3_storage import S3BlobStore

        return S3BlobStore(settings.files, settings.data_dir / "spool")
    return LocalBlobStore(settings.data_dir / "blobs")


def _if_set(**options: Any) -> dict[str, Any]:
    """The options given a value; the others keep the store's own (tuned) defaults."""
    return {name: value for name, value in options.items() if value is not None}


def build_services(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    store: ChunkStore | None = None,
    provider: Provider | None = None,
    ingestion_options: IngestionOptions | None = None,
) -> Services:
    events = EventBus()
    blobs = build_blob_store(settings)
    set_extraction_children(settings.retrieval.extraction_children)
    retriever = Retriever(
        embedder or build_embedder(settings),
        store or build_store(settings),
        chunk_tokens=settings.retrieval.chunk_tokens,
        chunk_overlap=settings.retrieval.chunk_overlap,
    )
    agent_settings = settings.agent
    provider = provider or build_provider(
        agent_settings.model,
        base_url=agent_settings.base_url,
        api_key=agent_settings.api_key,
        timeout=agent_settings.model_timeout_seconds,
        max_retries=agent_settings.model_retries,
    )
    retriever.on_emptied = _requeue_after_model_change
    options = ingestion_options or IngestionOptions(
        max_attempts=settings.retrieval.max_attempts,
        first_backoff_seconds=settings.retrieval.first_backoff_seconds,
        text_dir=settings.data_dir / "extracted",
    )
    ingestion = IngestionPipeline(blobs, retriever, events, options)
    jobs = JobRunner(
        ingestion.take_turn, RunnerOptions(lease_seconds=settings.retrieval.lease_seconds)
    )
    return Services(
        settings=settings,
        dummy_hash=DummyHash(settings.bcrypt_rounds),
        blobs=blobs,
        events=events,
        retriever=retriever,
        ingestion=ingestion,
        jobs=jobs,
        agent=AgentEngine(provider=provider, tools=default_tools()),
    )


async def _requeue_after_model_change() -> None:
    queued = await requeue_everything()
    logger.warning("the embedding model changed: re-ingesting %d document(s)", queued)


@asynccontextmanager
async def running(services: Services, *, workers: int | None = None) -> AsyncIterator[Services]:
    """Opens the store and runs the ingestion workers; closes everything on the way out.
    Call inside a connected database (the workers read the job table)."""
    try:
        await services.retriever.open()
    except StoreUnavailable as error:  # searches answer 503 and ingestion waits until it is up
        logger.warning("the chunk store is unavailable: %s", error)
    try:
        await services.blobs.check()
    except Unavailable as error:  # uploads answer 503 and ingestion waits until it is up
        logger.warning("the file store is unavailable: %s", error.message)
    relay, watcher = None, None
    if url_is_postgres(services.settings.database_url):
        relay = PostgresRelay(services.settings.database_url, services.events)
        await relay.start()
    else:
        watcher = SQLiteWatcher(services.events)
        watcher.start()
    count = services.settings.retrieval.ingestion_workers if workers is None else workers
    services.jobs.start(count)
    try:
        yield services
    finally:
        await services.jobs.stop()
        if relay is not None:
            await relay.stop()
        if watcher is not None:
            await watcher.stop()
        await services.retriever.close()
        aclose = getattr(services.agent.provider, "aclose", None)
        if aclose is not None:
            await aclose()
