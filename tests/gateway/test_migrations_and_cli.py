"""The migration history and the `taskloom` command, on each database."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from models.migrations_tool import models_match_migrations
from tests.conftest import TEST_SECRET
from tests.support.api import bearer

MIGRATION_FILES = sorted(
    p.name for p in (Path("models/migrations/models")).glob("*.py") if p.name[0].isdigit()
)


async def test_the_models_match_the_migration_history():
    assert await asyncio.to_thread(models_match_migrations)


async def test_migrating_an_empty_database_applies_every_step_once(tmp_path):
    from models.migrate import apply_migrations

    # The session's database was migrated from empty by the fixtures; this one checks the
    # count and that a second run is a no-op, on a fresh SQLite file.
    result = await _taskloom(tmp_path, f"sqlite://{tmp_path / 'fresh.sqlite3'}", "migrate")
    assert result.returncode == 0, result.stderr
    assert f"applied {len(MIGRATION_FILES)} migration(s)" in result.stdout
    again = await _taskloom(tmp_path, f"sqlite://{tmp_path / 'fresh.sqlite3'}", "migrate")
    assert "applied 0 migration(s)" in again.stdout
    assert apply_migrations  # the in-process path is what the fixtures use on both databases


class _Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


async def _taskloom(data_dir, database_url, *arguments, stdin: str = "", env=None) -> _Result:
    environment = {
        **os.environ,
        "TASKLOOM_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "TASKLOOM_JWT_SECRET": TEST_SECRET,
        "TASKLOOM_BCRYPT_ROUNDS": "4",
        **(env or {}),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway.cli",
        *arguments,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment,
    )
    out, err = await process.communicate(stdin.encode())
    return _Result(process.returncode or 0, out.decode(), err.decode())


async def test_createuser_admin_then_invite_create(client, settings):
    created = await _taskloom(
        settings.data_dir,
        settings.database_url,
        "createuser",
        "root-admin",
        "--email",
        "Root@Example.org",
        "--admin",
        "--password-stdin",
        stdin="a long admin password\n",
    )
    assert created.returncode == 0, created.stderr
    assert "created administrator root-admin" in created.stdout
    login = await client.post(
        "/auth/login", json={"username": "root-admin", "password": "a long admin password"}
    )
    assert login.status_code == 200
    assert login.json()["user"]["email"] == "root@example.org"
    result = await client.post(
        "/graphql",
        json={"query": "mutation { createInvite { code } }"},
        headers=bearer(login.json()["token"]),
    )
    assert result.json()["data"]["createInvite"]["code"]

    invite = await _taskloom(
        settings.data_dir, settings.database_url, "invite", "create", "--max-uses", "2"
    )
    assert invite.returncode == 0, invite.stderr
    code = invite.stdout.strip()
    response = await client.post(
        "/auth/register",
        json={
            "username": "guest",
            "name": "Guest",
            "email": "guest@example.org",
            "password": "guest password",
            "inviteCode": code,
        },
    )
    assert response.status_code == 201


async def test_createuser_reports_bad_input_without_a_trace(client, settings):
    result = await _taskloom(
        settings.data_dir,
        settings.database_url,
        "createuser",
        "x",
        "--email",
        "not-an-email",
        "--password-stdin",
        stdin="short\n",
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "username:" in result.stderr and "email:" in result.stderr
    assert "password:" in result.stderr


async def test_invite_create_refuses_bad_numbers(client, settings):
    result = await _taskloom(
        settings.data_dir, settings.database_url, "invite", "create", "--max-uses", "0"
    )
    assert result.returncode == 1
    assert "maxUses" in result.stderr


async def test_production_without_a_secret_refuses_to_start(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "TASKLOOM_JWT_SECRET"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway.cli",
        "serve",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**env, "TASKLOOM_ENV": "production", "TASKLOOM_DATA_DIR": str(tmp_path)},
    )
    _, err = await process.communicate()
    assert process.returncode == 2
    assert "TASKLOOM_JWT_SECRET must be set in production" in err.decode()
