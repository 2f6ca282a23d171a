"""Which SQL dialect the database speaks, asked in one place: of a connection while serving, of
the configured URL while starting (which relay carries events across processes)."""

from __future__ import annotations

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient


def is_postgres(connection: BaseDBAsyncClient | None = None) -> bool:
    """Whether `connection` (the default one if None) is PostgreSQL; otherwise it is SQLite."""
    return _dialect(connection) == "postgres"


def url_is_postgres(database_url: str) -> bool:
    """Whether a normalised DATABASE_URL (infra/settings/environment.py) names PostgreSQL."""
    return database_url.startswith("postgres://")


def _dialect(connection: BaseDBAsyncClient | None) -> str:
    return str((connection or connections.get("default")).capabilities.dialect)
