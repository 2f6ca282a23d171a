"""The gRPC calls that change or list things: BatchObjects, BatchDelete, TenantsGet."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
from google.protobuf import json_format  # type: ignore[import-untyped]
from weaviate.proto.v1 import batch_delete_pb2, batch_pb2, tenants_pb2

from tests.fakes.weaviate.filters import matches
from tests.fakes.weaviate.state import DEFAULT_VECTOR, FakeError, FakeState, StoredObject

# The server's QUERY_MAXIMUM_RESULTS: a batch delete removes at most this many objects.
MAX_DELETE = 10_000


def batch_objects(
    state: FakeState, request: batch_pb2.BatchObjectsRequest
) -> batch_pb2.BatchObjectsReply:
    errors = []
    for index, obj in enumerate(request.objects):
        try:
            _put(state, obj)
        except FakeError as exc:
            errors.append(batch_pb2.BatchObjectsReply.BatchError(index=index, error=exc.message))
    return batch_pb2.BatchObjectsReply(took=0.0, errors=errors)


def _put(state: FakeState, obj: batch_pb2.BatchObject) -> None:
    collection = state.collection(obj.collection)
    shard = collection.shard(obj.tenant)
    properties = _properties(obj.properties)
    for name, value in list(properties.items()):
        if collection.property_type(name) == "int" and isinstance(value, float):
            if not value.is_integer():
                raise FakeError(f"invalid integer property {name!r}: {value}")
            properties[name] = int(value)
    vectors: dict[str, np.ndarray] = {}
    if obj.vector_bytes:
        vectors[DEFAULT_VECTOR] = np.frombuffer(obj.vector_bytes, dtype="<f4").astype(np.float32)
    elif len(obj.vector):
        vectors[DEFAULT_VECTOR] = np.asarray(obj.vector, dtype=np.float32)
    for named in obj.vectors:
        vectors[named.name or DEFAULT_VECTOR] = np.frombuffer(
            named.vector_bytes, dtype="<f4"
        ).astype(np.float32)
    known = collection.schema.get("vectorConfig")
    for name in vectors:
        if known is not None and name not in known:
            raise FakeError(f"collection {collection.name} has no vector named {name!r}")
    shard.put(StoredObject(uuid=str(uuid.UUID(obj.uuid)), properties=properties, vectors=vectors))


def _properties(props: batch_pb2.BatchObject.Properties) -> dict[str, Any]:
    values: dict[str, Any] = json_format.MessageToDict(props.non_ref_properties)
    for arrays in (
        props.text_array_properties,
        props.int_array_properties,
        props.boolean_array_properties,
    ):
        for array in arrays:
            values[array.prop_name] = list(array.values)
    for numbers in props.number_array_properties:
        raw = numbers.values_bytes
        values[numbers.prop_name] = (
            np.frombuffer(raw, dtype="<f8").tolist() if raw else list(numbers.values)
        )
    if len(props.object_properties) or len(props.single_target_ref_props):
        raise FakeError("the fake Weaviate does not store nested objects or references")
    return values


def batch_delete(
    state: FakeState, request: batch_delete_pb2.BatchDeleteRequest, max_delete: int = MAX_DELETE
) -> batch_delete_pb2.BatchDeleteReply:
    collection = state.collection(request.collection)
    shard = collection.shard(request.tenant if request.HasField("tenant") else "")
    if not request.HasField("filters"):
        raise FakeError("batch delete needs a filter")
    found = [o for o in shard.objects.values() if matches(request.filters, o, collection)]
    found = found[:max_delete]
    if not request.dry_run:
        for obj in found:
            del shard.objects[obj.uuid]
    objects = (
        [
            batch_delete_pb2.BatchDeleteObject(uuid=uuid.UUID(o.uuid).bytes, successful=True)
            for o in found
        ]
        if request.verbose
        else []
    )
    done = 0 if request.dry_run else len(found)
    return batch_delete_pb2.BatchDeleteReply(
        took=0.0, failed=0, matches=len(found), successful=done, objects=objects
    )


def tenants_get(
    state: FakeState, request: tenants_pb2.TenantsGetRequest
) -> tenants_pb2.TenantsGetReply:
    names = state.tenants(request.collection)
    if request.HasField("names"):
        names = [n for n in request.names.values if n in names]
    hot = tenants_pb2.TenantActivityStatus.TENANT_ACTIVITY_STATUS_HOT
    return tenants_pb2.TenantsGetReply(
        took=0.0, tenants=[tenants_pb2.Tenant(name=n, activity_status=hot) for n in names]
    )
