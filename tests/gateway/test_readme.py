"""README.md's "Try it" runs as pasted: its bash blocks, in order, in one bash process, against a
fresh `taskloom serve` as `make serve` starts it (migrate, then serve, on the defaults)."""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path

import httpx

from tests.support.processes import free_port, run_taskloom, start_taskloom, until_serving

README = Path(__file__).resolve().parents[2] / "README.md"
README_BASE_URL = "localhost:8000"
# What the reader's shell would not have set: the server gets the defaults `make serve` gets.
SETTINGS_PREFIXES = ("TASKLOOM_", "WEAVIATE_", "OPENAI_", "AWS_")
SETTINGS_NAMES = {"DATABASE_URL", "HOST", "PORT"}


def try_it_blocks(readme: str) -> list[str]:
    section = readme.split("\n## Try it\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```bash\n(.*?)^```$", section, flags=re.DOTALL | re.MULTILINE)


def marker(index: int) -> str:
    return f"<<README block {index} done>>"


def script(blocks: list[str], base_url: str) -> str:
    """The blocks as one bash script that stops at the first failing command (pipelines
    included) and marks the end of each block on stdout."""
    lines = ["set -eo pipefail"]
    for index, block in enumerate(blocks):
        lines += [block.replace(README_BASE_URL, base_url), f"echo '{marker(index)}'"]
    return "\n".join(lines) + "\n"


def defaults_env(data_dir: Path, port: int) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(SETTINGS_PREFIXES) and name not in SETTINGS_NAMES
    }
    return {**env, "TASKLOOM_DATA_DIR": str(data_dir), "HOST": "127.0.0.1", "PORT": str(port)}


def test_the_try_it_section_has_the_blocks_the_test_runs():
    blocks = try_it_blocks(README.read_text())
    assert len(blocks) >= 3
    assert all(README_BASE_URL in block for block in blocks)
    assert "> notes.txt" in blocks[1]  # the file it uploads is created first
    assert "TOKEN=$(" in blocks[0]  # and the token captured, not copied by hand


async def test_the_try_it_blocks_run_as_pasted_against_a_fresh_server(tmp_path):
    blocks = try_it_blocks(README.read_text())
    assert blocks, "no bash blocks in the Try it section"
    port = free_port()
    env = defaults_env(tmp_path / "var", port)
    migrated = await run_taskloom(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    server = await start_taskloom(env, "serve", "--log-level", "warning")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await until_serving(client)
        shell = await asyncio.create_subprocess_exec(
            "bash", "-c", script(blocks, f"127.0.0.1:{port}"),
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={name: value for name, value in env.items() if name not in {"HOST", "PORT"}},
        )  # fmt: skip
        out, err = await asyncio.wait_for(shell.communicate(), 100)
    finally:
        server.terminate()
        await server.wait()
    stdout, stderr = out.decode(), err.decode()
    done = [index for index in range(len(blocks)) if marker(index) in stdout]
    assert shell.returncode == 0, f"block {len(done)} failed:\n{stdout}\n{stderr}"
    assert done == list(range(len(blocks))), stdout

    uploaded = (tmp_path / "notes.txt").read_text()
    final_answer = stdout.split(marker(len(blocks) - 2))[1].split(marker(len(blocks) - 1))[0]
    hits = json.loads(final_answer)["data"]["search"]
    assert hits, final_answer
    assert hits[0]["chunk"]["content"].strip() == uploaded.strip()
    assert hits[0]["chunk"]["documentTitle"] == "Reactor"
