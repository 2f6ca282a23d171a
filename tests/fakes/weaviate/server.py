"""A fake Weaviate, in-process, on ephemeral ports: REST for the schema and tenants, gRPC for
objects and searches, as weaviate-client v4 talks to a real server.

    async with running_fake_weaviate() as fake:
        store = WeaviateStore(fake.url, grpc_port=fake.grpc_port)
        ...
        await fake.stop()   # connections refused from now on
        await fake.start()  # back, same ports, same data
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tests.fakes.weaviate.controls import Controls
from tests.fakes.weaviate.grpc_api import GrpcServer
from tests.fakes.weaviate.rest_api import RestServer
from tests.fakes.weaviate.state import NO_TENANT, FakeState


class FakeWeaviate:
    def __init__(self, **controls: Any) -> None:
        self.state = FakeState()
        self.controls = Controls(**controls)
        self._rest = RestServer(self.state, self.controls)
        self._grpc = GrpcServer(self.state, self.controls)
        self.running = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._rest.port}"

    @property
    def grpc_port(self) -> int:
        return self._grpc.port

    async def start(self) -> None:
        """Listen (again) on the same ports, keeping the data, as a restarted server would."""
        await self._rest.start()
        await self._grpc.start()
        self.running = True

    async def stop(self) -> None:
        self.controls.release()
        await self._rest.stop()
        await self._grpc.stop()
        self.running = False

    def objects(self, collection: str, tenant: str = NO_TENANT) -> dict[str, dict[str, Any]]:
        """What one shard holds: properties by object id (a view for assertions)."""
        shard = self.state.collection(collection).shards.get(tenant)
        if shard is None:
            return {}
        return {key: dict(obj.properties) for key, obj in shard.objects.items()}

    def tenants(self, collection: str) -> list[str]:
        return self.state.tenants(collection)


@asynccontextmanager
async def running_fake_weaviate(**controls: Any) -> AsyncIterator[FakeWeaviate]:
    fake = FakeWeaviate(**controls)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
