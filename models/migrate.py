"""Applies the migration history (aerich) to a database."""

from __future__ import annotations

from aerich import Command

from models.database import MIGRATIONS_DIR, tortoise_config


async def apply_migrations(database_url: str) -> list[str]:
    """Bring the database up to the newest migration; returns the versions applied now."""
    async with Command(
        tortoise_config(database_url), app="models", location=str(MIGRATIONS_DIR)
    ) as command:
        return await command.upgrade(run_in_transaction=True)
