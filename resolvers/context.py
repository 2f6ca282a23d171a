"""What every resolver receives: the long-lived services and the per-request state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent import Provider, ToolRegistry
from infra.blobs.storage import BlobStore
from infra.errors import Unauthenticated
from infra.events.bus import EventBus
from infra.jobs.runner import JobRunner
from infra.security.passwords import DummyHash
from infra.security.tokens import InvalidToken, read_token
from infra.settings.values import Settings
from models import User
from resolvers.loaders import Loaders
from resolvers.viewer_lookup import user_by_id
from retrieval.ingestion import IngestionPipeline
from retrieval.retriever import Retriever


@dataclass
class AgentEngine:
    provider: Provider
    tools: ToolRegistry


@dataclass
class Services:
    """Built once at start-up and shared by every request. Engines are injected here so that
    tests can hand in ones that talk to local fake servers."""

    settings: Settings
    dummy_hash: DummyHash
    blobs: BlobStore
    events: EventBus
    retriever: Retriever
    ingestion: IngestionPipeline
    jobs: JobRunner
    agent: AgentEngine


@dataclass
class RequestContext:
    services: Services
    token: str | None = None
    client_address: str = "unknown"
    loaders: Loaders = field(default_factory=Loaders)
    lookahead: dict[Any, bool] = field(default_factory=dict)
    # Set by the WebSocket transport from the `connection_init` payload.
    connection_params: dict[str, Any] | None = None
    _viewer: User | None = None

    @classmethod
    def for_user(cls, services: Services, user: User) -> RequestContext:
        """A context that acts as `user` without a token: for the command line, whose
        operator names the user."""
        return cls(services=services, _viewer=user)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    async def viewer(self) -> User:
        """The signed-in user; UNAUTHENTICATED when the token is missing, invalid, expired, or
        was issued before the user's last password change."""
        if self._viewer is not None:
            return self._viewer
        if self.token is None:
            raise Unauthenticated("Authentication required: send Authorization: Bearer <token>")
        try:
            claims = read_token(self.settings.jwt_secret, self.token)
        except InvalidToken as error:
            raise Unauthenticated(f"Authentication failed: {error}") from None
        user = await user_by_id(claims.user_id)
        if user is None or user.token_version != claims.token_version:
            raise Unauthenticated("Authentication failed: token revoked")
        self._viewer = user
        return user

    def forget_reads(self) -> None:
        """Later reads see what is there now, not what the loaders cached (after a write)."""
        self.loaders = Loaders()

    async def next_event(self) -> None:
        """A subscription's next event: read afresh, and stop if the token was revoked since (a
        connection outlives any one request)."""
        self.forget_reads()
        self._viewer = None
        await self.viewer()
