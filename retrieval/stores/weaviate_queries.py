"""WeaviateStore's calls: the collection it creates, the objects it writes, the three searches
it runs, and a gRPC health check."""

from __future__ import annotations

import uuid
from typing import Any

import grpc  # type: ignore[import-untyped]
import weaviate
from weaviate.classes.config import Configure, DataType, Property, Tokenization, VectorDistances
from weaviate.classes.data import DataObject
from weaviate.classes.query import FilterReturn, HybridFusion, MetadataQuery
from weaviate.collections import CollectionAsync
from weaviate.proto.v1 import health_weaviate_pb2

from retrieval.stores.base import IndexedChunk, ScoredChunk, SearchRequest
from retrieval.stores.weaviate_scores import min_max, parse_hybrid_explain

VECTOR_NAME = "default"
_CHUNK_NAMESPACE = uuid.UUID("5b0c1a6e-8f1e-4c55-9a57-3d2f0e7c4b21")
_RETURNED = ["chunk_id", "document_id"]


def chunk_uuid(chunk_id: int) -> uuid.UUID:
    """The object id of a chunk: the same chunk always lands on the same object."""
    return uuid.uuid5(_CHUNK_NAMESPACE, f"taskloom-chunk:{chunk_id}")


async def create_collection(
    client: weaviate.WeaviateAsyncClient, name: str, description: str, multi_tenancy: bool
) -> None:
    await client.collections.create(
        name,
        description=description,
        properties=[
            Property(name="chunk_id", data_type=DataType.INT),
            Property(name="document_id", data_type=DataType.INT),
            Property(name="owner_id", data_type=DataType.INT),
            Property(name="title", data_type=DataType.TEXT, tokenization=Tokenization.WORD),
            Property(name="text", data_type=DataType.TEXT, tokenization=Tokenization.WORD),
        ],
        multi_tenancy_config=Configure.multi_tenancy(enabled=multi_tenancy),
        vector_config=Configure.Vectors.self_provided(
            name=VECTOR_NAME,
            vector_index_config=Configure.VectorIndex.hnsw(distance_metric=VectorDistances.COSINE),
        ),
    )


async def grpc_serving(
    host: str, port: int, secure: bool, api_key: str | None, deadline: float
) -> bool:
    """Weaviate's gRPC health check, on a channel of its own: the client's own check prints
    its failures to stdout."""
    target = f"{host}:{port}"
    channel = (
        grpc.aio.secure_channel(target, grpc.ssl_channel_credentials())
        if secure
        else grpc.aio.insecure_channel(target)
    )
    async with channel:
        check = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=health_weaviate_pb2.WeaviateHealthCheckRequest.SerializeToString,
            response_deserializer=health_weaviate_pb2.WeaviateHealthCheckResponse.FromString,
        )
        try:
            request = health_weaviate_pb2.WeaviateHealthCheckRequest()
            auth = [("authorization", f"Bearer {api_key}")] if api_key else None
            reply = await check(request, timeout=deadline, metadata=auth)
        except grpc.RpcError:
            return False
    serving = health_weaviate_pb2.WeaviateHealthCheckResponse.SERVING
    return bool(reply.status == serving)


def data_object(chunk: IndexedChunk) -> DataObject[dict[str, Any], None]:
    return DataObject(
        uuid=chunk_uuid(chunk.chunk_id),
        properties={
            "chunk_id": chunk.chunk_id,
            "document_id": chunk.document_id,
            "owner_id": chunk.owner_id,
            "title": chunk.title,
            "text": chunk.text,
        },
        vector={VECTOR_NAME: chunk.vector.astype("float32").tolist()},
    )


async def keyword_search(
    target: CollectionAsync,
    request: SearchRequest,
    where: FilterReturn | None,
    searched: list[str],
) -> list[ScoredChunk]:
    answer = await target.query.bm25(
        query=request.text,
        query_properties=searched,
        limit=request.limit,
        filters=where,
        return_metadata=MetadataQuery(score=True),
        return_properties=_RETURNED,
    )
    raw = [obj.metadata.score or 0.0 for obj in answer.objects]
    return [
        _hit(obj.properties, score, keyword=normalised, vector=None)
        for obj, score, normalised in zip(answer.objects, raw, min_max(raw), strict=True)
    ]


async def vector_search(
    target: CollectionAsync, request: SearchRequest, where: FilterReturn | None
) -> list[ScoredChunk]:
    assert request.vector is not None
    answer = await target.query.near_vector(
        near_vector=request.vector.astype("float32").tolist(),
        target_vector=VECTOR_NAME,
        limit=request.limit,
        filters=where,
        return_metadata=MetadataQuery(distance=True),
        return_properties=_RETURNED,
    )
    similarity = [1.0 - (obj.metadata.distance or 0.0) for obj in answer.objects]
    return [
        _hit(obj.properties, score, keyword=None, vector=normalised)
        for obj, score, normalised in zip(
            answer.objects, similarity, min_max(similarity), strict=True
        )
    ]


async def hybrid_search(
    target: CollectionAsync,
    request: SearchRequest,
    where: FilterReturn | None,
    searched: list[str],
    alpha: float,
) -> list[ScoredChunk]:
    assert request.vector is not None
    text = request.text if request.text.strip() else None
    # Without text the server searches the vector list alone, whatever alpha says.
    effective_alpha = alpha if text is not None else 1.0
    answer = await target.query.hybrid(
        query=text,
        vector=request.vector.astype("float32").tolist(),
        alpha=effective_alpha,
        fusion_type=HybridFusion.RELATIVE_SCORE,
        target_vector=VECTOR_NAME,
        query_properties=searched,
        limit=request.limit,
        filters=where,
        return_metadata=MetadataQuery(score=True, explain_score=True),
        return_properties=_RETURNED,
    )
    hits = []
    for obj in answer.objects:
        parts = parse_hybrid_explain(obj.metadata.explain_score, effective_alpha)
        score = obj.metadata.score or 0.0
        hits.append(_hit(obj.properties, score, keyword=parts.keyword, vector=parts.vector))
    return hits


def _hit(
    properties: Any, score: float, *, keyword: float | None, vector: float | None
) -> ScoredChunk:
    return ScoredChunk(
        chunk_id=int(properties["chunk_id"]),
        document_id=int(properties["document_id"]),
        score=score,
        keyword_score=keyword,
        vector_score=vector,
    )
