"""Fixtures for tests that go through the service: a real database, migrated with the real
migration history, and the real app over HTTP.

One run uses one database: TASKLOOM_TEST_BACKEND=sqlite (the default) or postgres. Tortoise keeps
dialect-specific SQL on the model classes, so the two cannot share a process; `make test` runs
the whole suite on SQLite, then every test that touches the database (marked `db`, by itself)
again on PostgreSQL, reached at TEST_DATABASE_URL (default: the local server's `test` database,
used only to create and drop a scratch database for the run).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from tortoise import Tortoise, connections

from gateway.app import create_app
from gateway.services import build_services
from infra.settings.environment import settings_from_env
from infra.settings.values import Settings
from models.migrate import apply_migrations
from tests.support.databases import scratch_postgres
from tests.support.live_server import LiveServer

BACKEND = os.environ.get("TASKLOOM_TEST_BACKEND", "sqlite")
if BACKEND not in {"sqlite", "postgres"}:
    raise pytest.UsageError("TASKLOOM_TEST_BACKEND must be sqlite or postgres")
TEST_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


def make_settings(data_dir: Path, database_url: str, **overrides: object) -> Settings:
    base = settings_from_env(
        {
            "TASKLOOM_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "TASKLOOM_JWT_SECRET": TEST_SECRET,
            "TASKLOOM_BCRYPT_ROUNDS": "4",
            # The fast packaged model; the default (MiniLM) has tests of its own.
            "TASKLOOM_EMBEDDER": "wordllama",
        }
    )
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if {"database_url", "fresh_database_url"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session", params=[BACKEND])
async def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path_factory.mktemp('sqlite') / 'taskloom.sqlite3'}"
        return
    async with scratch_postgres("taskloom_test") as url:
        yield url
        await Tortoise.close_connections()


@pytest.fixture(scope="session")
async def data_dir(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
async def settings(data_dir: Path, database_url: str) -> Settings:
    # The schema comes from the migration history, never from generate_schemas.
    await apply_migrations(database_url)
    return make_settings(data_dir, database_url)


@pytest.fixture(scope="session")
async def server(settings: Settings) -> AsyncIterator[LiveServer]:
    live = await LiveServer(create_app(settings)).start()
    yield live
    await live.stop()


async def empty_tables() -> None:
    connection = connections.get("default")
    tables = [
        model._meta.db_table
        for model in Tortoise.apps["models"].values()
        if model._meta.db_table != "aerich"
    ]
    if connection.schema_generator.DIALECT == "postgres":
        # Ids keep counting up, so the index never sees an id reused by another test's rows.
        await connection.execute_script(f"TRUNCATE {', '.join(tables)} CASCADE")
    else:
        statements = "".join(f'DELETE FROM "{table}";' for table in tables)
        await connection.execute_script(
            f"PRAGMA foreign_keys=OFF;{statements}PRAGMA foreign_keys=ON;"
        )


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        yield http
    await empty_tables()


@pytest.fixture
async def app_with(server: LiveServer, settings: Settings):
    """Serves a second app with other settings over the same database: `await app_with(...)`."""
    started: list[LiveServer] = []

    async def start(**overrides: object) -> httpx.AsyncClient:
        other = make_settings(settings.data_dir, settings.database_url, **overrides)
        live = await LiveServer(
            create_app(other, build_services(other), connect_database=False)
        ).start()
        started.append(live)
        return httpx.AsyncClient(base_url=live.url, timeout=30)

    yield start
    for live in started:
        await live.stop()


@pytest.fixture
async def fresh_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the run's kind, for tests whose workers must not meet the session
    app's (subprocess workers, say)."""
    if BACKEND == "sqlite":
        yield f"sqlite://{tmp_path / 'fresh.sqlite3'}"
        return
    async with scratch_postgres("taskloom_fresh") as url:
        yield url
