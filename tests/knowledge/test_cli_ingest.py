"""`taskloom ingest`: folders of files into a user's knowledge base, with its progress."""

from __future__ import annotations

from tests.support.processes import migrated_with_user, query, run_taskloom, taskloom_env


async def test_ingest_a_folder_skips_what_it_cannot_read_and_waits_for_the_rest(
    fresh_database_url, tmp_path
):
    env = taskloom_env(tmp_path / "data", fresh_database_url, TASKLOOM_EMBEDDER="wordllama")
    await migrated_with_user(env, "reader")
    folder = tmp_path / "papers"
    (folder / "nested").mkdir(parents=True)
    (folder / "a.txt").write_text("Lighthouses guide ships along the rocky coast.")
    (folder / "nested" / "b.md").write_text("# Keepers\n\nThe keeper logs every ship.")
    (folder / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (folder / ".hidden.txt").write_text("not this one")

    result = await run_taskloom(env, "ingest", str(folder), "--user", "reader")

    assert result.returncode == 1  # one file was refused
    assert "skipped" in result.stderr and "picture.png" in result.stderr
    assert "queued 2 file(s)" in result.stderr
    assert "ready  " + str(folder / "a.txt") in result.stderr
    assert "ingested 2/2 file(s): 2 ready, 0 failed" in result.stderr
    assert "\r" not in result.stderr  # not a terminal: plain lines, no bar
    rows = await query(fresh_database_url, "SELECT filename, status FROM documents ORDER BY id")
    assert rows == [("a.txt", "ready"), ("b.md", "ready")]


async def test_ingest_refuses_an_unknown_user_or_path(fresh_database_url, tmp_path):
    env = taskloom_env(tmp_path / "data", fresh_database_url, TASKLOOM_EMBEDDER="wordllama")
    assert (await run_taskloom(env, "migrate")).returncode == 0
    unknown_user = await run_taskloom(env, "ingest", str(tmp_path), "--user", "nobody")
    assert unknown_user.returncode == 1 and "no user named nobody" in unknown_user.stderr
    assert "Traceback" not in unknown_user.stderr
    await run_taskloom(
        env, "createuser", "reader", "--email", "r@example.org", "--password-stdin",
        stdin="reader password\n",
    )  # fmt: skip
    missing = await run_taskloom(env, "ingest", str(tmp_path / "nowhere"), "--user", "reader")
    assert missing.returncode == 1 and "no such file or folder" in missing.stderr
    assert "Traceback" not in missing.stderr
