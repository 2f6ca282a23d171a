"""The Weaviate chunk store: one collection, vectors supplied by us, native hybrid search.

Owners are kept apart either by one tenant per owner (`owner-<id>`, the default) or by an
`owner_id` filter on every query. The model that filled the collection is recorded in the
collection's description; opening with another model (or dimension, or tenancy) recreates it.

The async client is used rather than the sync one in a thread: its calls are cancellable, so
`asyncio.timeout` bounds every operation (the client itself retries an unavailable gRPC
server with back-off for about a minute), and it needs no worker threads on a small machine.
After any failure the client is dropped and the next call connects afresh, so that a channel
left in gRPC's reconnect back-off never delays recovery.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from urllib.parse import urlsplit

import grpc  # type: ignore[import-untyped]
import httpx
import weaviate
from weaviate.classes.init import AdditionalConfig, Auth, Timeout
from weaviate.classes.query import Filter, FilterReturn
from weaviate.collections import CollectionAsync
from weaviate.exceptions import WeaviateBaseError, WeaviateInvalidInputError

from retrieval.stores.base import (
    IndexedChunk,
    ScoredChunk,
    SearchMode,
    SearchRequest,
    StoreUnavailable,
)
from retrieval.stores.weaviate_queries import (
    create_collection,
    data_object,
    grpc_serving,
    hybrid_search,
    keyword_search,
    vector_search,
)

_CLIENT_ERRORS = (WeaviateBaseError, httpx.HTTPError, grpc.RpcError, OSError)


def tenant_name(owner_id: int) -> str:
    return f"owner-{owner_id}"


class WeaviateStore:
    def __init__(
        self,
        url: str,
        *,
        grpc_host: str | None = None,
        grpc_port: int = 50051,
        grpc_secure: bool | None = None,
        api_key: str | None = None,
        collection: str = "TaskloomChunk",
        multi_tenancy: bool = True,
        default_alpha: float = 0.5,
        title_weight: float = 2.0,
        init_timeout: float = 2.0,
        query_timeout: float = 5.0,
        insert_timeout: float = 10.0,
        batch_size: int = 200,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"WEAVIATE_URL must look like http://host:8080, not {url!r}")
        self._url = url
        self._http_host = parts.hostname
        self._http_secure = parts.scheme == "https"
        self._http_port = parts.port or (443 if self._http_secure else 80)
        self._grpc_host = grpc_host or parts.hostname
        self._grpc_port = grpc_port
        self._grpc_secure = self._http_secure if grpc_secure is None else grpc_secure
        if (self._grpc_host, self._grpc_port) == (self._http_host, self._http_port):
            raise ValueError(f"Weaviate's gRPC port cannot be its HTTP port ({grpc_port})")
        self._api_key = api_key
        self._name = collection[:1].upper() + collection[1:]
        self._multi_tenancy = multi_tenancy
        self._default_alpha = default_alpha
        self._searched = [f"title^{title_weight:g}", "text"]
        self._timeouts = Timeout(init=init_timeout, query=query_timeout, insert=insert_timeout)
        self._batch_size = batch_size
        self._client: weaviate.WeaviateAsyncClient | None = None
        self._connect_lock = asyncio.Lock()
        self._dimension: int | None = None
        self._known_tenants: set[str] = set()

    # --- the ChunkStore interface ---------------------------------------------------------

    async def open(self, model_id: str, dimension: int) -> bool:
        marker = json.dumps(
            {
                "taskloom": "chunks",
                "schema": 1,
                "model": model_id,
                "dimension": dimension,
                "tenancy": "tenant-per-owner" if self._multi_tenancy else "owner-filter",
            },
            sort_keys=True,
        )
        async with self._guard("open the collection", self._timeouts.insert):
            client = await self._connected()
            held_other = False
            if await client.collections.exists(self._name):
                if await self._description(client) == marker:
                    self._dimension = dimension
                    return False
                await client.collections.delete(self._name)
                held_other = True
            self._known_tenants.clear()
            try:
                await create_collection(client, self._name, marker, self._multi_tenancy)
            except WeaviateBaseError:
                # Another replica may have created it between our check and our create.
                if await self._description(client) != marker:
                    raise
        self._dimension = dimension
        return held_other

    async def upsert(self, chunks: Sequence[IndexedChunk]) -> None:
        dimension = self._require_open()
        for chunk in chunks:
            if chunk.vector.shape != (dimension,):
                raise ValueError(f"chunk {chunk.chunk_id}: vector shape {chunk.vector.shape}")
        for owner_id, owned in _by_owner(chunks).items():
            for start in range(0, len(owned), self._batch_size):
                batch = owned[start : start + self._batch_size]
                async with self._guard("store chunks", self._timeouts.insert):
                    target = await self._collection(owner_id, create_tenant=True)
                    assert target is not None
                    result = await target.data.insert_many([data_object(c) for c in batch])
                    if result.has_errors:
                        first = next(iter(result.errors.values()))
                        raise StoreUnavailable(
                            f"Weaviate at {self._url} refused {len(result.errors)} of "
                            f"{len(batch)} chunks: {first.message}"
                        )

    async def delete_document(self, owner_id: int, document_id: int) -> None:
        self._require_open()
        where = Filter.by_property("document_id").equal(document_id)
        if not self._multi_tenancy:
            where = Filter.by_property("owner_id").equal(owner_id) & where
        async with self._guard("delete a document's chunks", self._timeouts.insert):
            target = await self._collection(owner_id, create_tenant=False)
            if target is None:
                return
            # The server deletes at most QUERY_MAXIMUM_RESULTS objects per call: repeat until
            # a call finds nothing left.
            while True:
                result = await target.data.delete_many(where=where)
                if result.failed:
                    raise StoreUnavailable(
                        f"Weaviate at {self._url} failed to delete {result.failed} chunks"
                    )
                if result.successful == 0:
                    return

    async def search(self, request: SearchRequest) -> list[ScoredChunk]:
        self._require_open()
        ids = request.document_ids
        if request.limit <= 0 or (ids is not None and len(ids) == 0):
            return []
        if request.mode is SearchMode.KEYWORD and not request.text.strip():
            return []
        if request.mode is not SearchMode.KEYWORD and request.vector is None:
            raise ValueError(f"{request.mode.name} search needs a query vector")
        if request.alpha is not None and not 0.0 <= request.alpha <= 1.0:
            raise ValueError(f"alpha must be within [0, 1], got {request.alpha}")
        # An OR of equalities rather than contains_any: every server version takes it on a
        # scalar property.
        doc_filter = (
            None
            if ids is None
            else Filter.any_of([Filter.by_property("document_id").equal(int(i)) for i in ids])
        )
        where = self._owned(request.owner_id, doc_filter)
        async with self._guard("search", self._timeouts.query):
            target = await self._collection(request.owner_id, create_tenant=False)
            if target is None:
                return []
            if request.mode is SearchMode.KEYWORD:
                return await keyword_search(target, request, where, self._searched)
            if request.mode is SearchMode.VECTOR:
                return await vector_search(target, request, where)
            alpha = self._default_alpha if request.alpha is None else request.alpha
            return await hybrid_search(target, request, where, self._searched, alpha)

    async def ping(self) -> None:
        async with self._guard("answer a health check", self._timeouts.query):
            client = await self._connected()
            await client.collections.exists(self._name)  # a REST read that raises on failure
            # A server can answer REST while its gRPC port is shut or misconfigured.
            grpc_at = (self._grpc_host, self._grpc_port, self._grpc_secure, self._api_key)
            if not await grpc_serving(*grpc_at, self._timeouts.query):
                raise StoreUnavailable(
                    f"Weaviate at {self._url} answers REST but not gRPC at "
                    f"{self._grpc_host}:{self._grpc_port}"
                )

    async def close(self) -> None:
        await self._discard_client()

    async def drop(self) -> None:
        """Delete the collection and everything in it (test clean-up, an operator's reset)."""
        async with self._guard("delete the collection", self._timeouts.insert):
            client = await self._connected()
            await client.collections.delete(self._name)
        self._known_tenants.clear()
        self._dimension = None

    # --- plumbing -------------------------------------------------------------------------

    @asynccontextmanager
    async def _guard(self, action: str, seconds: float) -> AsyncIterator[None]:
        """Bound an operation in time and turn every client failure into StoreUnavailable."""
        try:
            async with asyncio.timeout(seconds):
                yield
        except WeaviateInvalidInputError:
            raise
        except TimeoutError as exc:
            await self._discard_client()
            raise StoreUnavailable(
                f"Weaviate at {self._url} did not {action} within {seconds:g} s"
            ) from exc
        except StoreUnavailable:
            await self._discard_client()
            raise
        except _CLIENT_ERRORS as exc:
            await self._discard_client()
            raise StoreUnavailable(
                f"Weaviate at {self._url} could not {action}: {type(exc).__name__}: {exc}"
            ) from exc

    async def _connected(self) -> weaviate.WeaviateAsyncClient:
        async with self._connect_lock:
            if self._client is None:
                client = weaviate.use_async_with_custom(
                    http_host=self._http_host,
                    http_port=self._http_port,
                    http_secure=self._http_secure,
                    grpc_host=self._grpc_host,
                    grpc_port=self._grpc_port,
                    grpc_secure=self._grpc_secure,
                    auth_credentials=Auth.api_key(self._api_key) if self._api_key else None,
                    additional_config=AdditionalConfig(timeout=self._timeouts),
                    # The init checks would ask PyPI for the latest client version.
                    skip_init_checks=True,
                )
                try:
                    await client.connect()
                except BaseException:
                    with suppress(Exception):
                        await client.close()
                    raise
                self._client = client
            return self._client

    async def _discard_client(self) -> None:
        # Tenants are checked afresh too: another replica may have recreated the collection.
        self._known_tenants.clear()
        client, self._client = self._client, None
        if client is not None:
            with suppress(Exception):
                async with asyncio.timeout(self._timeouts.init):
                    await client.close()

    async def _collection(self, owner_id: int, *, create_tenant: bool) -> CollectionAsync | None:
        """The collection as this owner sees it; None when the owner's tenant does not exist
        (and is not to be created): nothing of theirs is stored then."""
        client = await self._connected()
        collection = client.collections.use(self._name)
        if not self._multi_tenancy:
            return collection
        tenant = tenant_name(owner_id)
        if tenant not in self._known_tenants:
            if not await collection.tenants.exists(tenant):
                if not create_tenant:
                    return None
                try:
                    await collection.tenants.create(tenant)
                except WeaviateBaseError:
                    # Created meanwhile by another writer; anything else fails the re-check.
                    if not await collection.tenants.exists(tenant):
                        raise
            self._known_tenants.add(tenant)
        return collection.with_tenant(tenant)

    def _owned(self, owner_id: int, where: FilterReturn | None) -> FilterReturn | None:
        if self._multi_tenancy:
            return where
        owner = Filter.by_property("owner_id").equal(owner_id)
        return owner if where is None else owner & where

    async def _description(self, client: weaviate.WeaviateAsyncClient) -> str | None:
        config = await client.collections.use(self._name).config.get(simple=True)
        return config.description

    def _require_open(self) -> int:
        if self._dimension is None:
            raise RuntimeError("WeaviateStore.open() must be called first")
        return self._dimension


def _by_owner(chunks: Sequence[IndexedChunk]) -> dict[int, list[IndexedChunk]]:
    groups: dict[int, list[IndexedChunk]] = {}
    for chunk in chunks:
        groups.setdefault(chunk.owner_id, []).append(chunk)
    return groups
