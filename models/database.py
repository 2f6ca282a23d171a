"""The Tortoise configuration shared by the app, the CLI and aerich."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
MODEL_MODULES = ["models", "aerich.models"]


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": _connection(database_url)},
        "apps": {"models": {"models": MODEL_MODULES, "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection(database_url: str) -> str | dict[str, Any]:
    if database_url.startswith("sqlite://") and database_url != "sqlite://:memory:":
        path = database_url[len("sqlite://") :]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            "engine": "models.sqlite_engine",
            "credentials": {
                "file_path": path,
                "journal_mode": "WAL",
                "synchronous": "NORMAL",
                "foreign_keys": "ON",
                "busy_timeout": 5000,
            },
        }
    return database_url


@asynccontextmanager
async def database(database_url: str) -> AsyncIterator[None]:
    """Tortoise connected for the duration of a command-line task."""
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        yield
    finally:
        await Tortoise.close_connections()
