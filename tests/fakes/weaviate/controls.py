"""The knobs a test turns on the fake: authentication, injected failures, hung requests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from tests.fakes.weaviate.writes import MAX_DELETE


@dataclass
class Controls:
    api_key: str | None = None
    version: str = "1.36.9"
    max_delete: int = MAX_DELETE
    failing: bool = False  # answer every request with a server error
    calls: list[str] = field(default_factory=list)  # "GET /v1/meta", "grpc Search", ...
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._released.set()

    @property
    def hanging(self) -> bool:
        return not self._released.is_set()

    def hang(self) -> None:
        """From now on, requests are accepted and never answered (until `release`)."""
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    async def wait_released(self) -> None:
        await self._released.wait()

    def authorised(self, header: str | None) -> bool:
        return self.api_key is None or header == f"Bearer {self.api_key}"
