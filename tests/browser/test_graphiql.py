"""GraphiQL in a real browser: a query typed into the page, with the token typed into its headers
editor, returns the user's data; a subscription runs over the WebSocket with that token; and the
browser asks nothing of any host but this server, nor reports any error (a refusal of the
page's Content-Security-Policy is one)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.browser.chromium import LOOPBACK_HOSTS, Browser, Page
from tests.support.api import register
from tests.support.live_server import LiveServer

QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
RESPONSE = ".graphiql-response .CodeMirror"


def editor(selector: str) -> str:
    """CodeMirror 5 keeps its instance on its wrapper element."""
    return f"document.querySelector({json.dumps(selector)})?.CodeMirror"


async def open_graphiql(page: Page, server: LiveServer) -> None:
    await page.goto(f"{server.url}/graphql")
    await page.wait_for(f"!!{editor(QUERY_EDITOR)}", "GraphiQL's query editor")


async def replace_text(page: Page, selector: str, text: str) -> None:
    await page.click(selector)
    await page.select_all()
    await page.type(text)
    assert await page.evaluate(f"{editor(selector)}.getValue()") == text


async def set_headers(page: Page, headers: dict[str, str]) -> None:
    await page.click(".graphiql-editor-tools button", text="Headers")
    await page.wait_for(f"!!{editor(HEADERS_EDITOR)}", "the headers editor")
    hint = await page.evaluate(f"{editor(HEADERS_EDITOR)}.getValue()")
    assert json.loads(hint) == {"Authorization": "Bearer "}
    await replace_text(page, HEADERS_EDITOR, json.dumps(headers))


async def run(page: Page, query: str) -> object:
    """Types the query, runs it with the button, and returns what the result pane shows."""
    await replace_text(page, QUERY_EDITOR, query)
    # GraphiQL reads the editor 100 ms after a change; a click before then runs what it last read.
    await page.wait_for(
        f"(cm => cm.documentAST?.loc?.source.body === cm.getValue())({editor(QUERY_EDITOR)})",
        "GraphiQL to read the query",
    )
    await page.click(".graphiql-execute-button")
    shown = await page.wait_for(
        f"(v => v?.trim() && v)({editor(RESPONSE)}?.getValue())", "the result pane"
    )
    return json.loads(shown)


def left_the_machine(urls: list[str]) -> list[str]:
    return [
        url
        for url in urls
        if urlsplit(url).scheme not in {"data", "blob", "about"}
        and urlsplit(url).hostname not in LOOPBACK_HOSTS
    ]


def errors_reported(page: Page) -> list[object]:
    problems: list[object] = [
        event["exceptionDetails"] for event in page.events("Runtime.exceptionThrown")
    ]
    problems += [
        event["entry"]
        for event in page.events("Log.entryAdded")
        if event["entry"]["level"] == "error" or event["entry"]["source"] == "security"
    ]
    return problems


@pytest.mark.usefixtures("graphiql_assets")
async def test_a_query_typed_into_graphiql_returns_the_users_data(
    client: httpx.AsyncClient, graphiql_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    user = await register(client)
    page = await browser.new_page()
    async with page.screenshot_on_failure(tmp_path / "graphiql.png"):
        await open_graphiql(page, graphiql_server)
        await set_headers(page, {"Authorization": f"Bearer {user['token']}"})
        shown = await run(page, "{ me { username } }")
        assert shown == {"data": {"me": {"username": user["user"]["username"]}}}
        visible = await page.evaluate(f"document.querySelector({json.dumps(RESPONSE)}).innerText")
        assert user["user"]["username"] in visible

    sent = [
        event["request"]["headers"]
        for event in page.events("Network.requestWillBeSent")
        if event["request"]["method"] == "POST"
        and urlsplit(event["request"]["url"]).path == "/graphql"
    ]
    assert {"Authorization": f"Bearer {user['token']}"}.items() <= sent[-1].items()
    urls = browser.requested_urls()
    assert any(url.endswith(".min.js") for url in urls), "no request was recorded"
    assert left_the_machine(urls) == []
    assert errors_reported(page) == []


@pytest.mark.usefixtures("graphiql_assets")
async def test_a_subscription_runs_over_the_websocket_with_the_typed_token(
    client: httpx.AsyncClient, graphiql_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    user = await register(client)
    task = await client.post("/api/tasks", json={"message": "Hello"}, headers=user["headers"])
    assert task.status_code == 201, task.text
    stepped = await client.post(f"/api/tasks/{task.json()['id']}", headers=user["headers"])
    assert stepped.status_code == 200, stepped.text
    page = await browser.new_page()
    async with page.screenshot_on_failure(tmp_path / "graphiql.png"):
        await open_graphiql(page, graphiql_server)
        await set_headers(page, {"Authorization": f"Bearer {user['token']}"})
        shown = await run(
            page, f'subscription {{ taskSteps(taskId: "{task.json()["id"]}") {{ index }} }}'
        )
        # Without the token in the connection parameters the server would refuse the task.
        assert shown == {"data": {"taskSteps": {"index": 0}}}

    sockets = [event["url"] for event in page.events("Network.webSocketCreated")]
    assert sockets == [graphiql_server.ws_url + "/graphql"]
    assert left_the_machine(browser.requested_urls()) == []
    assert errors_reported(page) == []


async def test_the_check_sees_a_request_to_another_host(browser: Browser) -> None:
    """The recorder the tests above rely on: a page without a policy asks a name that never
    resolves here (`.invalid`, and the browser resolves nothing but the loopback anyway)."""
    page = await browser.new_page()
    await page.evaluate("fetch('http://graphiql-check.invalid/x').catch(() => null)")
    assert left_the_machine(browser.requested_urls()) == ["http://graphiql-check.invalid/x"]
