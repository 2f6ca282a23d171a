"""graphql-http's audit of the GraphQL over HTTP spec, run by Node against the real app: every
audit must pass, the SHOULDs and MAYs included (`make unit` installs the npm packages)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

DRIVER = Path(__file__).with_name("graphql_over_http_audit.cjs")
NODE_MODULES = Path(sys.prefix) / "share" / "taskloom-node" / "node_modules"
REQUIRED = os.environ.get("TASKLOOM_BROWSER_TESTS") == "1"  # CI sets it, as for the browser


def unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (TASKLOOM_BROWSER_TESTS=1 requires it)", pytrace=False)
    pytest.skip(f"{reason}; set TASKLOOM_BROWSER_TESTS=1 to make this a failure")


def node() -> str:
    executable = shutil.which("node")
    if executable is None:
        unavailable("Node.js is not installed: `apt-get install -y nodejs npm`")
    for package in ("graphql-http", "graphql"):
        if not (NODE_MODULES / package / "package.json").is_file():
            unavailable(f"{package} is not installed in {NODE_MODULES}: run `make unit`")
    assert executable is not None
    return executable


async def test_the_endpoint_passes_every_audit_of_the_spec(server):
    executable = node()
    # Not subprocess.run: the server answers from this test's own event loop.
    audit = await asyncio.create_subprocess_exec(
        executable,
        str(DRIVER),
        f"{server.url}/graphql",
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(audit.communicate(), timeout=120)
    assert audit.returncode == 0, stderr.decode()
    results = [json.loads(line) for line in stdout.decode().splitlines()]
    assert len(results) > 50, stdout.decode()  # the audits ran (61 in graphql-http 1.23.1)
    failed = [result for result in results if result["status"] != "ok"]
    assert failed == [], "\n".join(json.dumps(result) for result in failed)
