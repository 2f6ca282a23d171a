"""What the service is configured with: plain, frozen data, read from the environment once at
start-up by infra/settings/environment.py and handed down to the use cases."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path


class Registration(enum.Enum):
    OPEN = "open"
    INVITE = "invite"
    CLOSED = "closed"


class Environment(enum.Enum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


@dataclass(frozen=True)
class GraphQLLimits:
    max_depth: int = 15
    max_aliases: int = 30
    max_tokens: int = 5000
    max_first: int = 100
    max_cost: int = 100_000
    max_fields: int = 1000  # selections, fragments expanded, checked before validation
    cache_bytes: int = 32 * 1024 * 1024  # each: parsed documents, and persisted queries
    batch_max: int = 0  # operations one POST may carry as a batch (a JSON array); 0: off


@dataclass(frozen=True)
class RetrievalSettings:
    embedder: str = "minilm"  # minilm | wordllama | openai
    embedding_model: str | None = None  # for `openai`: the endpoint's model name
    embedding_dimension: int | None = None  # for `openai` models the client does not know
    weaviate_url: str | None = None  # unset: the embedded store in the data folder
    weaviate_api_key: str | None = None
    weaviate_grpc_host: str | None = None
    weaviate_grpc_port: int = 50051
    chunk_tokens: int = 128
    chunk_overlap: int = 24
    fusion: str = "relative_score"  # relative_score | reciprocal_rank
    alpha: float | None = None  # the vector weight in HYBRID; None: the store's tuned default
    ingestion_workers: int = 1
    max_attempts: int = 8
    lease_seconds: int = 60
    first_backoff_seconds: int = 2
    extraction_children: int = 2  # parser processes alive at once, each up to 1 GiB


@dataclass(frozen=True)
class AgentSettings:
    model: str | None = None  # unset: the offline provider
    base_url: str | None = None
    api_key: str | None = None
    max_steps: int = 10
    step_timeout_seconds: int = 300
    model_timeout_seconds: int = 60
    model_retries: int = 1


@dataclass(frozen=True)
class FileStorage:
    """Where files' bytes live: the data folder, or an S3-compatible bucket when `bucket` is set
    (credentials from the usual AWS_* variables, or the machine's role)."""

    bucket: str | None = None
    endpoint_url: str | None = None  # unset: AWS S3 itself; set for MinIO, Ceph, R2…
    region: str | None = None
    prefix: str = "blobs/"


@dataclass(frozen=True)
class WebSocketLimits:
    """Per server process: each socket holds a task and, once subscribed, queues and reads."""

    max_connections: int = 1000
    max_per_address: int = 20
    init_timeout_seconds: int = 10  # for `connection_init`; graphql-ws's own server waits 3
    max_init_bytes: int = 64 * 1024  # the `connection_init` message; later ones: max_json_bytes


class LogFormat(enum.Enum):
    TEXT = "text"  # for a terminal
    JSON = "json"  # one object a line, for a log collector


@dataclass(frozen=True)
class ServerSettings:
    """How `taskloom serve` listens and logs. Read apart from Settings: logging is set up before
    anything else can fail, and these are the command line's defaults (its options win)."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_format: LogFormat = LogFormat.TEXT


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    jwt_secret: str
    environment: Environment = Environment.DEVELOPMENT
    token_ttl_seconds: int = 7 * 24 * 3600
    registration: Registration = Registration.OPEN
    max_upload_bytes: int = 50 * 1024 * 1024
    max_json_bytes: int = 1024 * 1024
    bcrypt_rounds: int = 12
    login_max_failures: int = 10
    login_window_seconds: int = 15 * 60
    registration_max_per_address: int = 20  # attempts per login window
    # Addresses or networks whose X-Forwarded-For is believed; empty: nobody's.
    trusted_proxies: tuple[str, ...] = ()
    # Browser origins (or patterns) that may call the API and open its WebSocket; empty: none.
    cors_origins: tuple[str, ...] = ()
    introspection: bool = True
    metrics: bool = True  # GET /metrics and the middleware counting requests
    otlp_endpoint: str | None = None  # OTLP/HTTP base URL; unset: no tracing
    limits: GraphQLLimits = field(default_factory=GraphQLLimits)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    agent: AgentSettings = field(default_factory=AgentSettings)
    files: FileStorage = field(default_factory=FileStorage)
    websockets: WebSocketLimits = field(default_factory=WebSocketLimits)

    @property
    def production(self) -> bool:
        return self.environment is Environment.PRODUCTION
