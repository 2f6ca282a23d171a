"""`weaviate.v1.Weaviate/Search`: a SearchRequest answered from the fake's state."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
from weaviate.proto.v1 import base_pb2, base_search_pb2, properties_pb2, search_get_pb2

from tests.fakes.weaviate.filters import matches
from tests.fakes.weaviate.scoring import Hit, bm25, fuse_ranked, fuse_relative, nearest
from tests.fakes.weaviate.state import DEFAULT_VECTOR, Collection, FakeError, FakeState

DEFAULT_LIMIT = 10
SERVER_DEFAULT_ALPHA = 0.75
# Each list of a hybrid search is cut to this many candidates before fusion.
HYBRID_CANDIDATES = 100
_UNSUPPORTED = (
    "group_by", "near_object", "near_text", "near_image", "near_audio", "near_video",
    "near_depth", "near_thermal", "near_imu", "generative", "rerank", "boost",
)  # fmt: skip


def run_search(
    state: FakeState, request: search_get_pb2.SearchRequest
) -> search_get_pb2.SearchReply:
    collection = state.collection(request.collection)
    shard = collection.shard(request.tenant)
    for name in _UNSUPPORTED:
        if request.HasField(name):
            raise FakeError(f"the fake Weaviate does not support {name}")
    if len(request.sort_by) or request.after or request.autocut:
        raise FakeError("the fake Weaviate does not support sort_by, after or autocut")
    candidates = [
        obj
        for obj in shard.objects.values()
        if not request.HasField("filters") or matches(request.filters, obj, collection)
    ]
    limit = request.limit or DEFAULT_LIMIT
    if request.HasField("bm25_search"):
        query = request.bm25_search
        hits = bm25(shard, candidates, query.query, _searched(query.properties, collection))
    elif request.HasField("near_vector"):
        vector, target = query_vector(request.near_vector, collection)
        if vector is None:
            raise FakeError("near_vector without a vector")
        hits = nearest(candidates, vector, target, _max_distance(request.near_vector))
    elif request.HasField("hybrid_search"):
        sub_limit = max(request.offset + limit, HYBRID_CANDIDATES)
        hits = _hybrid(request.hybrid_search, shard, candidates, collection, sub_limit)
    else:
        hits = [Hit(obj) for obj in sorted(candidates, key=lambda o: o.uuid)]
    page = hits[request.offset : request.offset + limit]
    return search_get_pb2.SearchReply(took=0.0, results=[_result(h, request) for h in page])


def _hybrid(
    query: base_search_pb2.Hybrid,
    shard: Any,
    candidates: list[Any],
    collection: Collection,
    sub_limit: int,
) -> list[Hit]:
    if query.use_alpha_param:
        alpha = query.alpha_param if query.HasField("alpha_param") else SERVER_DEFAULT_ALPHA
    else:
        alpha = query.alpha
    keyword: list[Hit] = []
    if alpha < 1 and query.query:
        searched = _searched(query.properties, collection)
        keyword = bm25(shard, candidates, query.query, searched)[:sub_limit]
    vector_hits: list[Hit] = []
    if alpha > 0:
        nested = query.near_vector if query.HasField("near_vector") else None
        vector, target = query_vector(nested or query, collection)
        if vector is None:
            raise FakeError("hybrid search needs a vector: the fake Weaviate has no vectorizer")
        max_distance = query.vector_distance if query.HasField("vector_distance") else None
        vector_hits = nearest(candidates, vector, target, max_distance)[:sub_limit]
        if max_distance is not None:
            # As the server does: keyword hits beyond the vector cut-off are dropped too.
            below = {h.obj.uuid for h in vector_hits}
            keyword = [h for h in keyword if h.obj.uuid in below]
    if query.fusion_type == base_search_pb2.Hybrid.FusionType.FUSION_TYPE_RANKED:
        return fuse_ranked(keyword, vector_hits, alpha)
    return fuse_relative(keyword, vector_hits, alpha)


def query_vector(message: Any, collection: Collection) -> tuple[np.ndarray | None, str]:
    """The query vector and its target from a NearVector or Hybrid message, in any of the
    encodings the client uses (raw bytes, typed `Vectors`, per-target vectors, floats)."""
    targets = list(message.targets.target_vectors) if message.HasField("targets") else []
    targets = targets or list(message.target_vectors)
    if len(targets) > 1:
        raise FakeError("the fake Weaviate does not support multi-target vector search")
    target = targets[0] if targets else DEFAULT_VECTOR
    vector: np.ndarray | None = None
    if message.vector_bytes:
        vector = _floats(message.vector_bytes)
    elif len(message.vectors):
        vector = _floats(message.vectors[0].vector_bytes)
    elif hasattr(message, "vector_for_targets") and len(message.vector_for_targets):
        for_target = message.vector_for_targets[0]
        target = for_target.name or target
        raw = for_target.vector_bytes or for_target.vectors[0].vector_bytes
        vector = _floats(raw)
    elif len(message.vector):
        vector = np.asarray(message.vector, dtype=np.float32)
    named = collection.schema.get("vectorConfig")
    if named is not None and target not in named:
        raise FakeError(f"target vector {target!r} not found in class {collection.name}")
    return vector, target


def _floats(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


def _max_distance(query: base_search_pb2.NearVector) -> float | None:
    if query.HasField("distance"):
        return float(query.distance)
    if query.HasField("certainty"):
        return 2 * (1 - float(query.certainty))
    return None


def _searched(properties: Any, collection: Collection) -> list[tuple[str, float]]:
    """The properties a keyword search reads, with their boosts (`title^2`)."""
    named = list(properties) or collection.text_properties()
    return [(name, float(boost or 1)) for name, _, boost in (p.partition("^") for p in named)]


def _result(hit: Hit, request: search_get_pb2.SearchRequest) -> search_get_pb2.SearchResult:
    asked = request.metadata
    meta = search_get_pb2.MetadataResult(id=hit.obj.uuid, id_as_bytes=uuid.UUID(hit.obj.uuid).bytes)
    if asked.score:
        meta.score, meta.score_present = hit.score, True
    if asked.explain_score:
        meta.explain_score, meta.explain_score_present = hit.explain, True
    if hit.distance is not None and asked.distance:
        meta.distance, meta.distance_present = hit.distance, True
    if hit.distance is not None and asked.certainty:
        meta.certainty, meta.certainty_present = 1 - hit.distance / 2, True
    if asked.vector or len(asked.vectors):
        wanted = set(asked.vectors) or set(hit.obj.vectors)
        meta.vectors.extend(
            base_pb2.Vectors(
                name=name,
                vector_bytes=vector.astype("<f4").tobytes(),
                type=base_pb2.Vectors.VECTOR_TYPE_SINGLE_FP32,
            )
            for name, vector in hit.obj.vectors.items()
            if name in wanted
        )
    props = request.properties
    names = (
        list(hit.obj.properties) if props.return_all_nonref_properties else props.non_ref_properties
    )
    fields = {n: _value(hit.obj.properties[n]) for n in names if n in hit.obj.properties}
    return search_get_pb2.SearchResult(
        metadata=meta,
        properties=search_get_pb2.PropertiesResult(
            non_ref_props=properties_pb2.Properties(fields=fields)
        ),
    )


def _value(value: Any) -> properties_pb2.Value:
    if isinstance(value, bool):
        return properties_pb2.Value(bool_value=value)
    if isinstance(value, int):
        return properties_pb2.Value(int_value=value)
    if isinstance(value, float):
        return properties_pb2.Value(number_value=value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        texts = properties_pb2.TextValues(values=value)
        return properties_pb2.Value(list_value=properties_pb2.ListValue(text_values=texts))
    return properties_pb2.Value(text_value=str(value))
