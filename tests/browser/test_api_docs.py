"""The API reference at /docs in a real browser: Swagger UI renders the served document, a token
typed into its Authorize dialog goes with a call made from the page (GET /users/me answers 200
with the user), and the browser asks nothing of any host but this server, nor reports any error
(a refusal of the page's Content-Security-Policy is one)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from gateway.api_docs.assets import SWAGGER_UI_FILES
from gateway.graphiql import default_assets_dir
from gateway.graphiql.assets import is_installed
from tests.browser.chromium import Browser, Page
from tests.browser.conftest import unavailable
from tests.browser.test_graphiql import errors_reported, left_the_machine
from tests.support.api import register
from tests.support.live_server import LiveServer

OPERATION = "#operations-users-me"  # Swagger UI's id: tag and operationId


@pytest.fixture(scope="session")
def api_docs_assets() -> Path:
    directory = default_assets_dir()
    if not is_installed(directory, SWAGGER_UI_FILES):
        unavailable(
            f"Swagger UI's files are not installed in {directory}: "
            "run `.venv/bin/python -m gateway.graphiql install`"
        )
    return directory


def text_of(selector: str) -> str:
    return f"document.querySelector({json.dumps(selector)})?.innerText ?? ''"


async def authorise(page: Page, token: str) -> None:
    await page.click("button.authorize")
    await page.wait_for("!!document.querySelector('.modal-ux input')", "the Authorize dialog")
    await page.click(".modal-ux input")
    await page.type(token)
    await page.click(".modal-ux button.authorize")
    await page.wait_for(
        "[...document.querySelectorAll('.modal-ux button')].some(b => b.innerText === 'Logout')",
        "the token to be taken",
    )
    await page.click(".modal-ux button.btn-done")


async def execute(page: Page) -> None:
    """Clicks Execute once the panel's operation is resolved. Swagger UI resolves an operation's
    `$ref`s when its panel opens; an Execute before that ends throws OperationNotFoundError inside
    Swagger UI and leaves the button disabled for good, so a quick robot must wait as a person
    would."""
    subtree = "['spec', 'resolvedSubtrees', 'paths', '/users/me', 'get']"
    resolved = f"window.ui.getState().getIn({subtree})"
    await page.wait_for(f"!!{resolved}", "Swagger UI to resolve the operation")
    await page.click(f"{OPERATION} button.execute")


@pytest.mark.usefixtures("api_docs_assets")
async def test_a_route_called_from_the_reference_with_a_token_answers_200(
    client: httpx.AsyncClient, server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    user = await register(client)
    page = await browser.new_page()
    async with page.screenshot_on_failure(tmp_path / "api-docs.png"):
        await page.goto(f"{server.url}/docs")
        await page.wait_for(f"!!document.querySelector('{OPERATION}')", "the rendered routes")
        title = await page.evaluate(text_of(".info .title"))
        assert "Taskloom REST API" in title
        await authorise(page, user["token"])
        await page.click(f"{OPERATION} .opblock-summary-control")
        await page.wait_for(f"!!document.querySelector('{OPERATION} button.execute')", "Execute")
        await execute(page)
        shown = f"{OPERATION} .live-responses-table tbody"
        status = await page.wait_for(
            f"(t => t.trim() && t)({text_of(shown + ' .response-col_status')})", "the response"
        )
        assert status.strip().startswith("200")
        body = await page.evaluate(text_of(f"{shown} .microlight"))
        assert user["user"]["username"] in body

    calls = [
        event["request"]["headers"]
        for event in page.events("Network.requestWillBeSent")
        if urlsplit(event["request"]["url"]).path == "/users/me"
    ]
    assert calls, "the page made no call"
    assert {"Authorization": f"Bearer {user['token']}"}.items() <= calls[-1].items()
    urls = browser.requested_urls()
    assert f"{server.url}/openapi.json" in urls
    assert left_the_machine(urls) == []
    assert errors_reported(page) == []
