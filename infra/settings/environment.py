"""Settings, read once from the environment at start-up, with safe defaults.

A production deployment that forgets its JWT secret (or sets a weak one) refuses to start;
a development one generates a secret once and keeps it in the data folder.
"""

from __future__ import annotations

import enum
import ipaddress
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

from infra.data_folder import make_private
from infra.dialects import url_is_postgres
from infra.security.secret_strength import MIN_SECRET_BITS, estimated_bits
from infra.settings.origins import invalid_origin
from infra.settings.values import (
    AgentSettings,
    Environment,
    FileStorage,
    GraphQLLimits,
    LogFormat,
    Registration,
    RetrievalSettings,
    ServerSettings,
    Settings,
    WebSocketLimits,
)

E = TypeVar("E", bound=enum.Enum)

MIN_SECRET_BYTES = 32
WEAK_SECRETS = frozenset({"secret", "changeme", "change-me", "password", "jwt-secret", "taskloom"})


class SettingsError(Exception):
    """A setting is missing or invalid; the message says which and why."""


def server_settings_from_env(env: Mapping[str, str] | None = None) -> ServerSettings:
    """HOST, PORT, TASKLOOM_WORKERS and TASKLOOM_LOG_FORMAT; SettingsError if one is invalid."""
    env = os.environ if env is None else env
    return ServerSettings(
        host=env.get("HOST", "").strip() or "127.0.0.1",
        port=_int(env, "PORT", 8000, minimum=1, maximum=65535),
        workers=_int(env, "TASKLOOM_WORKERS", 1, minimum=1, maximum=64),
        log_format=log_format(env),
    )


def log_format(env: Mapping[str, str]) -> LogFormat:
    """JSON when TASKLOOM_LOG_FORMAT says json; anything else is text, so that a typo cannot
    silence the logs (and logging is set up before a SettingsError could be printed)."""
    raw = env.get("TASKLOOM_LOG_FORMAT", "").strip().lower()
    return LogFormat.JSON if raw == LogFormat.JSON.value else LogFormat.TEXT


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    """The settings in `env` (the process environment by default); SettingsError if one is
    missing or invalid."""
    env = os.environ if env is None else env
    environment = _enum(Environment, env, "TASKLOOM_ENV", Environment.DEVELOPMENT)
    data_dir = Path(env.get("TASKLOOM_DATA_DIR", "./var")).resolve()
    production = environment is Environment.PRODUCTION
    make_private(data_dir)
    return Settings(
        data_dir=data_dir,
        database_url=normalise_database_url(
            env.get("DATABASE_URL") or f"sqlite://{data_dir / 'taskloom.sqlite3'}"
        ),
        jwt_secret=_jwt_secret(env.get("TASKLOOM_JWT_SECRET"), data_dir, production),
        environment=environment,
        token_ttl_seconds=_int(env, "TASKLOOM_TOKEN_TTL", 7 * 24 * 3600, minimum=60),
        registration=_enum(Registration, env, "TASKLOOM_REGISTRATION", Registration.OPEN),
        max_upload_bytes=_int(env, "TASKLOOM_MAX_UPLOAD_BYTES", 50 * 1024 * 1024, minimum=1),
        max_json_bytes=_int(env, "TASKLOOM_MAX_JSON_BYTES", 1024 * 1024, minimum=1024),
        bcrypt_rounds=_int(env, "TASKLOOM_BCRYPT_ROUNDS", 12, minimum=4, maximum=16),
        login_max_failures=_int(env, "TASKLOOM_LOGIN_MAX_FAILURES", 10, minimum=1),
        login_window_seconds=_int(env, "TASKLOOM_LOGIN_WINDOW", 15 * 60, minimum=1),
        registration_max_per_address=_int(
            env, "TASKLOOM_REGISTRATION_MAX_PER_ADDRESS", 20, minimum=1
        ),
        trusted_proxies=_trusted_proxies(env.get("TASKLOOM_TRUSTED_PROXIES", "")),
        cors_origins=_cors_origins(env.get("TASKLOOM_CORS_ORIGINS", "")),
        introspection=_bool(env, "TASKLOOM_INTROSPECTION", default=not production),
        metrics=_bool(env, "TASKLOOM_METRICS", default=True),
        otlp_endpoint=env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
        limits=GraphQLLimits(
            max_depth=_int(env, "TASKLOOM_MAX_DEPTH", 15, minimum=2),
            max_aliases=_int(env, "TASKLOOM_MAX_ALIASES", 30, minimum=0),
            max_tokens=_int(env, "TASKLOOM_MAX_TOKENS", 5000, minimum=100),
            max_first=_int(env, "TASKLOOM_MAX_FIRST", 100, minimum=1),
            max_cost=_int(env, "TASKLOOM_MAX_COST", 100_000, minimum=1),
            max_fields=_int(env, "TASKLOOM_MAX_FIELDS", 1000, minimum=10),
            cache_bytes=_int(
                env, "TASKLOOM_GRAPHQL_CACHE_BYTES", 32 * 1024 * 1024, minimum=1024 * 1024
            ),
            batch_max=_int(env, "TASKLOOM_GRAPHQL_BATCH_MAX", 0, minimum=0, maximum=100),
        ),
        retrieval=_retrieval_settings(env),
        agent=_agent_settings(env),
        files=_file_storage(env),
        websockets=WebSocketLimits(
            max_connections=_int(env, "TASKLOOM_MAX_WEBSOCKETS", 1000, minimum=1),
            max_per_address=_int(env, "TASKLOOM_MAX_WEBSOCKETS_PER_ADDRESS", 20, minimum=1),
            init_timeout_seconds=_int(
                env, "TASKLOOM_WEBSOCKET_INIT_TIMEOUT", 10, minimum=1, maximum=600
            ),
        ),
    )


def _file_storage(env: Mapping[str, str]) -> FileStorage:
    bucket = env.get("TASKLOOM_S3_BUCKET") or None
    prefix = env.get("TASKLOOM_S3_PREFIX", "blobs/")
    if prefix.startswith("/") or ".." in prefix.split("/"):
        raise SettingsError("TASKLOOM_S3_PREFIX must be a relative key prefix, e.g. blobs/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return FileStorage(
        bucket=bucket,
        endpoint_url=env.get("TASKLOOM_S3_ENDPOINT_URL") or None,
        region=env.get("TASKLOOM_S3_REGION") or None,
        prefix=prefix,
    )


def _retrieval_settings(env: Mapping[str, str]) -> RetrievalSettings:
    embedder = _choice(env, "TASKLOOM_EMBEDDER", ("minilm", "wordllama", "openai"), "minilm")
    model = env.get("TASKLOOM_EMBEDDING_MODEL") or None
    if embedder == "openai" and not model:
        raise SettingsError("TASKLOOM_EMBEDDER=openai needs TASKLOOM_EMBEDDING_MODEL")
    fusion = _choice(
        env, "TASKLOOM_FUSION", ("relative_score", "reciprocal_rank"), "relative_score"
    )
    chunk_tokens = _int(env, "TASKLOOM_CHUNK_TOKENS", 128, minimum=16, maximum=4096)
    return RetrievalSettings(
        embedder=embedder,
        embedding_model=model,
        embedding_dimension=(
            _int(env, "TASKLOOM_EMBEDDING_DIMENSION", 0, minimum=1, maximum=65536)
            if env.get("TASKLOOM_EMBEDDING_DIMENSION")
            else None
        ),
        weaviate_url=env.get("WEAVIATE_URL") or None,
        weaviate_api_key=env.get("WEAVIATE_API_KEY") or None,
        weaviate_grpc_host=env.get("WEAVIATE_GRPC_HOST") or None,
        weaviate_grpc_port=_int(env, "WEAVIATE_GRPC_PORT", 50051, minimum=1, maximum=65535),
        chunk_tokens=chunk_tokens,
        chunk_overlap=_int(
            env, "TASKLOOM_CHUNK_OVERLAP", 24, minimum=0, maximum=chunk_tokens // 2 - 1
        ),
        fusion=fusion,
        alpha=_fraction(env, "TASKLOOM_HYBRID_ALPHA"),
        ingestion_workers=_int(env, "TASKLOOM_INGESTION_WORKERS", 1, minimum=0, maximum=16),
        max_attempts=_int(env, "TASKLOOM_INGESTION_MAX_ATTEMPTS", 8, minimum=1),
        lease_seconds=_int(env, "TASKLOOM_INGESTION_LEASE", 60, minimum=1),
        first_backoff_seconds=_int(env, "TASKLOOM_INGESTION_BACKOFF", 2, minimum=1),
        extraction_children=_int(env, "TASKLOOM_EXTRACTION_CHILDREN", 2, minimum=1, maximum=64),
    )


def _agent_settings(env: Mapping[str, str]) -> AgentSettings:
    return AgentSettings(
        model=env.get("TASKLOOM_MODEL") or None,
        base_url=env.get("OPENAI_BASE_URL") or None,
        api_key=env.get("OPENAI_API_KEY") or None,
        max_steps=_int(env, "TASKLOOM_MAX_STEPS", 10, minimum=1, maximum=1000),
        step_timeout_seconds=_int(env, "TASKLOOM_STEP_TIMEOUT", 300, minimum=1),
        model_timeout_seconds=_int(env, "TASKLOOM_MODEL_TIMEOUT", 60, minimum=1),
        model_retries=_int(env, "TASKLOOM_MODEL_RETRIES", 1, minimum=0, maximum=10),
    )


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = env.get(name, "").strip().lower() or default
    if raw not in allowed:
        raise SettingsError(f"{name} must be one of {'|'.join(allowed)}, got {raw!r}")
    return raw


def _fraction(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number between 0 and 1, got {raw!r}") from None
    if not 0.0 <= value <= 1.0:
        raise SettingsError(f"{name} must be between 0 and 1, got {value}")
    return value


def normalise_database_url(url: str) -> str:
    """Accept the usual spellings (`postgresql://`, `postgresql+asyncpg://`) for Tortoise's
    `postgres://`, and make relative SQLite paths absolute."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "asyncpg://"):
        if url.startswith(prefix):
            return "postgres://" + url[len(prefix) :]
    if url.startswith("sqlite://") and url != "sqlite://:memory:":
        path = url[len("sqlite://") :]
        return f"sqlite://{Path(path).resolve()}"
    if not url_is_postgres(url):
        raise SettingsError("DATABASE_URL must start with sqlite:// or postgres(ql)://")
    return url


def _jwt_secret(given: str | None, data_dir: Path, production: bool) -> str:
    if given is not None:
        if production:
            _refuse_a_weak_secret(given)
        return given
    if production:
        raise SettingsError("TASKLOOM_JWT_SECRET must be set in production")
    return _kept_secret(data_dir / "jwt_secret")


def _refuse_a_weak_secret(secret: str) -> None:
    advice = (
        f"use at least {MIN_SECRET_BYTES} random bytes, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
    )
    if len(secret.encode()) < MIN_SECRET_BYTES or secret.lower() in WEAK_SECRETS:
        raise SettingsError(f"TASKLOOM_JWT_SECRET is too weak: {advice}")
    if estimated_bits(secret) < MIN_SECRET_BITS:
        raise SettingsError(
            f"TASKLOOM_JWT_SECRET looks guessable (repeated or sequential characters): {advice}"
        )


def _trusted_proxies(raw: str) -> tuple[str, ...]:
    """Addresses or networks (CIDR) whose X-Forwarded-For is believed; `*` for any."""
    proxies = tuple(item.strip() for item in raw.split(",") if item.strip())
    for proxy in proxies:
        if proxy == "*":
            continue
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise SettingsError(
                f"TASKLOOM_TRUSTED_PROXIES must list addresses or networks, got {proxy!r}"
            ) from None
    return proxies


def _cors_origins(raw: str) -> tuple[str, ...]:
    """Origins (`https://app.example.com`) or patterns (`https://*.example.com`,
    `http://localhost:*`, `*`) whose pages may call the API, comma-separated."""
    origins = tuple(item.strip().rstrip("/") for item in raw.split(",") if item.strip())
    for origin in origins:
        reason = invalid_origin(origin)
        if reason is not None:
            raise SettingsError(f"TASKLOOM_CORS_ORIGINS: {origin!r} {reason}")
    return origins


def _kept_secret(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # O_EXCL: when two processes start at once, one writes and both read the same secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


def _int(
    env: Mapping[str, str], name: str, default: int, *, minimum: int, maximum: int | None = None
) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise SettingsError(f"{name} must be {bound}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _enum(kind: type[E], env: Mapping[str, str], name: str, default: E) -> E:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    try:
        return kind(raw)
    except ValueError:
        allowed = "|".join(str(member.value) for member in kind)
        raise SettingsError(f"{name} must be one of {allowed}, got {raw!r}") from None
