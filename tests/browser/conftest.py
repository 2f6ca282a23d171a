"""Fixtures for GraphiQL: its installed files, a browser, and the app serving the page.

Where the browser or GraphiQL's files are missing, the tests that need them skip, or fail when
TASKLOOM_BROWSER_TESTS=1 (as CI sets it), so that a CI machine without them cannot pass quietly.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.graphiql import default_assets_dir
from gateway.graphiql.assets import is_installed
from tests.browser.chromium import Browser, find_chromium, launch
from tests.support.live_server import LiveServer

REQUIRED = os.environ.get("TASKLOOM_BROWSER_TESTS") == "1"


def unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (TASKLOOM_BROWSER_TESTS=1 requires it)", pytrace=False)
    pytest.skip(f"{reason}; set TASKLOOM_BROWSER_TESTS=1 to make this a failure")


@pytest.fixture(scope="session")
def graphiql_assets() -> Path:
    directory = default_assets_dir()
    if not is_installed(directory):
        unavailable(
            f"GraphiQL's files are not installed in {directory}: "
            "run `.venv/bin/python -m gateway.graphiql install`"
        )
    return directory


@pytest.fixture(scope="session")
def chromium() -> str:
    executable = find_chromium()
    if executable is None:
        unavailable(
            "Chromium is not installed: `apt-get install -y chromium` "
            "(or point TASKLOOM_CHROMIUM at a Chromium or Chrome)"
        )
    assert executable is not None
    return executable


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with launch(chromium) as running:
        yield running


@pytest.fixture(scope="session")
def graphiql_server(server: LiveServer) -> LiveServer:
    """The session's app, which mounts GraphiQL itself."""
    return server
