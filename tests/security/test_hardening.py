"""Issue 10, 8: the data folder is private to the service's user (folders 0700, files 0600)
after a real start, and text fields refuse NUL and other control characters."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx
import pytest

from infra.settings.environment import settings_from_env
from resolvers import validation
from tests.support.api import new_account, register
from tests.support.processes import (
    free_port,
    run_taskloom,
    start_taskloom,
    taskloom_env,
    until_serving,
)


def _loose_modes(root: Path) -> dict[str, str]:
    """Everything under `root` (itself included) that others than its owner could read."""
    loose = {}
    for path in [root, *root.rglob("*")]:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        if mode & 0o077:
            loose[str(path.relative_to(root))] = oct(stat.S_IMODE(mode))
    return loose


async def test_a_real_start_keeps_the_data_folder_private(fresh_database_url, tmp_path):
    data_dir = tmp_path / "data"
    on_sqlite = fresh_database_url.startswith("sqlite://")
    database_url = f"sqlite://{data_dir / 'taskloom.sqlite3'}" if on_sqlite else fresh_database_url
    env = taskloom_env(data_dir, database_url, TASKLOOM_EMBEDDER="wordllama")
    del env["TASKLOOM_JWT_SECRET"]  # generated into the data folder
    port = free_port()
    migrated = await run_taskloom(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    process = await start_taskloom(env, "serve", "--port", str(port), "--log-level", "warning")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await until_serving(client)
            user = await register(client)
            uploaded = await client.post(
                "/api/documents?title=Notes&description=notes",
                files={"file": ("notes.txt", b"The reactor runs on thorium.", "text/plain")},
                headers=user["headers"],
            )
            assert uploaded.status_code == 201, uploaded.text
            created = {path.name for path in data_dir.rglob("*")}
            expected = {"jwt_secret", "blobs", "index.sqlite3"}
            if on_sqlite:
                expected |= {"taskloom.sqlite3", "taskloom.sqlite3-wal", "taskloom.sqlite3-shm"}
            assert expected <= created, created
            assert _loose_modes(data_dir) == {}
    finally:
        process.terminate()
        await process.wait()


def test_an_existing_data_folder_is_made_private_at_start(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    os.chmod(data_dir, 0o755)  # noqa: S103 - the loose mode under test
    old_database = data_dir / "taskloom.sqlite3"
    old_database.write_bytes(b"")
    os.chmod(old_database, 0o644)
    (data_dir / "blobs").mkdir(mode=0o755)
    os.chmod(data_dir / "blobs", 0o755)  # noqa: S103
    settings_from_env({"TASKLOOM_DATA_DIR": str(data_dir)})
    assert _loose_modes(data_dir) == {}


@pytest.mark.parametrize("text", ["a\x00b", "bell\x07", "escape\x1b[31m", "\x0b", "\x0c"])
def test_text_refuses_nul_and_other_c0_controls(text):
    with pytest.raises(ValueError, match="control characters"):
        validation.text(text)


def test_text_keeps_tabs_newlines_and_everything_printable():
    kept = "line one\n\tline two\r\nemoji \U0001f600, accents é, zero\u200bwidth"
    assert validation.text(kept) == kept


@pytest.mark.parametrize("value", ["del\x7f", "c1\x85inside", "a\u202eb", "tab\there", "new\nline"])
def test_names_are_stricter(value):
    with pytest.raises(ValueError):
        validation.name(value)


async def test_a_password_with_nul_is_refused(client):
    response = await client.post("/auth/register", json=new_account(password="pass\x00word123"))
    assert response.status_code == 422
    assert response.json()["error"] == "VALIDATION_FAILED"
    assert set(response.json()["fields"]) == {"password"}
    registered = await register(client)
    changed = await client.put(
        "/users/me/password",
        json={"currentPassword": registered["account"]["password"], "newPassword": "new\x00pass"},
        headers=registered["headers"],
    )
    assert changed.status_code == 422
    assert set(changed.json()["fields"]) == {"newPassword"}


async def test_a_display_name_with_a_bidi_override_is_refused(client):
    registered = await register(client)
    response = await client.patch(
        "/users/me", json={"name": "evil\u202etxt.exe"}, headers=registered["headers"]
    )
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"name"}
