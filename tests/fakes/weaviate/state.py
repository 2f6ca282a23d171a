"""What the fake Weaviate holds: collections (with the schema a real server would answer),
tenants (one shard each) and objects with their named vectors."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NO_TENANT = ""
DEFAULT_VECTOR = "default"


class FakeError(Exception):
    """A request the real server would refuse; `status` is the REST status to answer with."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class StoredObject:
    uuid: str
    properties: dict[str, Any]
    vectors: dict[str, np.ndarray]


@dataclass
class Shard:
    objects: dict[str, StoredObject] = field(default_factory=dict)
    dimensions: dict[str, int] = field(default_factory=dict)

    def put(self, obj: StoredObject) -> None:
        # Like an HNSW index, a shard keeps the length of the first vector it was given.
        for name, vector in obj.vectors.items():
            known = self.dimensions.setdefault(name, len(vector))
            if known != len(vector):
                raise FakeError(
                    f"new node has a vector with length {len(vector)}. "
                    f"Existing nodes have vectors with length {known}"
                )
        self.objects[obj.uuid] = obj


@dataclass
class Collection:
    schema: dict[str, Any]
    shards: dict[str, Shard] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.schema["class"])

    @property
    def multi_tenant(self) -> bool:
        return bool(self.schema["multiTenancyConfig"]["enabled"])

    def property_type(self, name: str) -> str | None:
        for prop in self.schema["properties"]:
            if prop["name"] == name:
                return str(prop["dataType"][0])
        return None

    def text_properties(self) -> list[str]:
        return [p["name"] for p in self.schema["properties"] if p["dataType"][0] == "text"]

    def shard(self, tenant: str) -> Shard:
        """The shard a request addresses, with Weaviate's rules on tenants."""
        if self.multi_tenant:
            if not tenant:
                raise FakeError(
                    f"class {self.name} has multi-tenancy enabled, but request was without tenant"
                )
            if tenant not in self.shards:
                raise FakeError(f'tenant not found: "{tenant}"', status=404)
            return self.shards[tenant]
        if tenant:
            raise FakeError(
                f"class {self.name} has multi-tenancy disabled, but request was with tenant"
            )
        return self.shards.setdefault(NO_TENANT, Shard())


class FakeState:
    def __init__(self) -> None:
        self.collections: dict[str, Collection] = {}

    def collection(self, name: str) -> Collection:
        found = self.collections.get(name)
        if found is None:
            raise FakeError(f"could not find class {name} in schema", status=404)
        return found

    def create_collection(self, body: dict[str, Any]) -> dict[str, Any]:
        name = str(body.get("class") or "")
        if not name:
            raise FakeError("class name must not be empty")
        name = name[0].upper() + name[1:]
        if name in self.collections:
            raise FakeError(f"class name {name} already exists")
        schema = with_defaults({**body, "class": name})
        self.collections[name] = Collection(schema=schema)
        return copy.deepcopy(schema)

    def delete_collection(self, name: str) -> None:
        self.collections.pop(name, None)

    def add_tenants(self, name: str, tenants: list[dict[str, Any]]) -> list[dict[str, Any]]:
        collection = self.collection(name)
        if not collection.multi_tenant:
            raise FakeError(f"multi-tenancy is not enabled for class {name!r}")
        for tenant in tenants:
            collection.shards.setdefault(str(tenant["name"]), Shard())
        return [{"name": t["name"], "activityStatus": "HOT"} for t in tenants]

    def remove_tenants(self, name: str, tenants: list[str]) -> None:
        collection = self.collection(name)
        for tenant in tenants:
            collection.shards.pop(tenant, None)

    def tenants(self, name: str) -> list[str]:
        collection = self.collection(name)
        if not collection.multi_tenant:
            raise FakeError(f"multi-tenancy is not enabled for class {name!r}")
        return sorted(collection.shards)


def with_defaults(body: dict[str, Any]) -> dict[str, Any]:
    """The class as a real server answers it: every section filled with its defaults."""
    schema = copy.deepcopy(body)
    schema.setdefault("description", "")
    schema["properties"] = [_property_defaults(p) for p in schema.get("properties") or []]
    schema.setdefault(
        "invertedIndexConfig",
        {
            "bm25": {"b": 0.75, "k1": 1.2},
            "cleanupIntervalSeconds": 60,
            "stopwords": {"preset": "en", "additions": None, "removals": None},
        },
    )
    mt = schema.setdefault("multiTenancyConfig", {})
    mt.setdefault("enabled", False)
    mt.setdefault("autoTenantCreation", False)
    mt.setdefault("autoTenantActivation", False)
    schema.setdefault(
        "replicationConfig",
        {"factor": 1, "asyncEnabled": False, "deletionStrategy": "NoAutomatedResolution"},
    )
    schema.setdefault(
        "shardingConfig",
        {
            "virtualPerPhysical": 128,
            "desiredCount": 1,
            "actualCount": 1,
            "desiredVirtualCount": 128,
            "actualVirtualCount": 128,
            "key": "_id",
            "strategy": "hash",
            "function": "murmur3",
        },
    )
    if "vectorConfig" in schema:
        for named in schema["vectorConfig"].values():
            named.setdefault("vectorizer", {"none": {}})
            named.setdefault("vectorIndexType", "hnsw")
            named["vectorIndexConfig"] = _hnsw_defaults(named.get("vectorIndexConfig") or {})
    else:
        schema.setdefault("vectorizer", "none")
        schema.setdefault("vectorIndexType", "hnsw")
        schema["vectorIndexConfig"] = _hnsw_defaults(schema.get("vectorIndexConfig") or {})
    return schema


def _property_defaults(prop: dict[str, Any]) -> dict[str, Any]:
    prop = {
        k: v for k, v in prop.items() if k not in ("skip_vectorization", "vectorize_property_name")
    }
    is_text = prop["dataType"][0] in ("text", "text[]")
    prop.setdefault("indexFilterable", True)
    prop.setdefault("indexSearchable", is_text)
    prop.setdefault("indexRangeFilters", False)
    if is_text:
        prop.setdefault("tokenization", "word")
    return prop


def _hnsw_defaults(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "cleanupIntervalSeconds": 300,
        "distance": "cosine",
        "dynamicEfMin": 100,
        "dynamicEfMax": 500,
        "dynamicEfFactor": 8,
        "ef": -1,
        "efConstruction": 128,
        "filterStrategy": "sweeping",
        "flatSearchCutoff": 40000,
        "maxConnections": 32,
        "skip": False,
        "vectorCacheMaxObjects": 1000000000000,
        **config,
    }
