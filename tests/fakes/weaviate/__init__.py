"""A local fake of Weaviate's REST and gRPC API, for testing the Weaviate chunk store with the
real weaviate-client v4 (its own generated protobuf modules, `weaviate.proto.v1`).

Supported:
- REST: /v1/meta, /v1/.well-known/ready|live, /v1/schema (create, list, get with the defaults a
  server fills in, delete), /v1/schema/{class}/tenants (add, list, remove, HEAD/GET one).
- gRPC: Search (bm25, near_vector, hybrid with relative-score or ranked fusion and alpha in
  both encodings, filters, limit/offset, metadata: id, score, explain_score, distance,
  certainty, vectors), BatchObjects (with per-object errors), BatchDelete (dry run, verbose,
  at most `max_delete` per call), TenantsGet, and the health check.
- Semantics: `word` tokenisation, the `en` stop words in queries, BM25 (k1 1.2, b 0.75) with
  property boosts, cosine distance, named vectors with a fixed dimension per shard, one shard
  per tenant, Weaviate's rules on tenants, filters (equality, ranges, like, is-null, contains-*,
  and/or/not), the server's hybrid explain strings.
- Test knobs (`fake.controls`): `api_key`, `version`, `failing` (500 / INTERNAL), `hang()` and
  `release()`, `max_delete`, `calls` (a log); `stop()` / `start()` to refuse connections and
  come back on the same ports with the same data.

Not supported (answered with an error): vectorizers (near_text, hybrid without a vector),
references, nested objects, group_by, sort_by, cursors, autocut, generative, rerank, multi-target
and multi-vector search, aggregations, the REST object endpoints, GraphQL, batch streaming,
backups, RBAC, replication. No persistence: the data lives as long as the FakeWeaviate object.
"""

from tests.fakes.weaviate.server import FakeWeaviate, running_fake_weaviate

__all__ = ["FakeWeaviate", "running_fake_weaviate"]
