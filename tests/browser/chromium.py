"""Headless Chromium (Debian's package) driven over the DevTools protocol on a WebSocket, with the
`websockets` package the server already has: no driver, no browser download, no new dependency.

Every target the browser opens (the page, and any worker it starts) is attached, so every
request the browser makes for a page is recorded, whichever target made it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
from asyncio.subprocess import Process
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

FLAGS = (
    "--headless",
    "--no-sandbox",  # as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--window-size=1280,900",
    # Belt and braces for the test's own check: a name other than the loopback never resolves,
    # so a stray request fails here instead of leaving the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def find_chromium() -> str | None:
    given = os.environ.get("TASKLOOM_CHROMIUM")
    if given:
        return shutil.which(given)
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    return None


class DevToolsError(Exception):
    pass


@dataclass
class Event:
    session: str | None
    method: str
    params: dict[str, Any]


@dataclass
class Browser:
    socket: ClientConnection
    events: list[Event] = field(default_factory=list)
    _pending: dict[int, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _children: list[asyncio.Task[None]] = field(default_factory=list)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 30,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"id": next(self._ids), "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        reply = asyncio.get_running_loop().create_future()
        self._pending[message["id"]] = reply
        await self.socket.send(json.dumps(message))
        answer = await asyncio.wait_for(reply, timeout)
        if "error" in answer:
            raise DevToolsError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    async def new_page(self) -> Page:
        target = await self.send("Target.createTarget", {"url": "about:blank"})
        attached = await self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        page = Page(self, attached["sessionId"])
        await self._watch(page.session, resume=False)
        for domain in ("Page", "Runtime", "Log"):
            await page.send(f"{domain}.enable")
        return page

    async def wait_for_event(
        self, session: str, method: str, *, after: int, timeout: float = 30
    ) -> None:
        """Until the target has had more than `after` events of that kind."""

        def arrived() -> bool:
            return sum(e.session == session and e.method == method for e in self.events) > after

        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(arrived), timeout)

    def requested_urls(self) -> list[str]:
        """Every URL any attached target asked for, WebSockets included."""
        urls = []
        for event in self.events:
            if event.method == "Network.requestWillBeSent":
                urls.append(event.params["request"]["url"])
            elif event.method == "Network.webSocketCreated":
                urls.append(event.params["url"])
        return urls

    async def _watch(self, session: str, *, resume: bool) -> None:
        """Records the target's requests, and attaches to the targets it starts (paused until
        their requests are recorded too)."""
        with contextlib.suppress(DevToolsError):  # not every kind of target has a network
            await self.send("Network.enable", session=session)
        await self.send(
            "Target.setAutoAttach",
            {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True},
            session=session,
        )
        if resume:
            await self.send("Runtime.runIfWaitingForDebugger", session=session)

    async def _watch_child(self, session: str) -> None:
        # A worker can be gone before it is watched: nothing left to record then.
        with contextlib.suppress(DevToolsError):
            await self._watch(session, resume=True)

    async def read(self) -> None:
        try:
            async for raw in self.socket:
                message = json.loads(raw)
                if "id" in message:
                    reply = self._pending.pop(message["id"], None)
                    if reply is not None and not reply.done():
                        reply.set_result(message)
                    continue
                event = Event(message.get("sessionId"), message["method"], message["params"])
                self.events.append(event)
                async with self._arrived:
                    self._arrived.notify_all()
                # Attached by a target's auto-attach (a worker, say), not by new_page.
                if event.method == "Target.attachedToTarget" and event.session is not None:
                    child = self._watch_child(event.params["sessionId"])
                    self._children.append(asyncio.get_running_loop().create_task(child))
        finally:
            for reply in self._pending.values():
                if not reply.done():
                    reply.set_exception(DevToolsError("the browser closed the connection"))


@dataclass
class Page:
    browser: Browser
    session: str

    async def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.browser.send(method, params, session=self.session)

    def events(self, method: str) -> list[dict[str, Any]]:
        return [
            event.params
            for event in self.browser.events
            if event.session == self.session and event.method == method
        ]

    async def goto(self, url: str, timeout: float = 30) -> None:
        loaded = len(self.events("Page.loadEventFired"))
        navigation = await self.send("Page.navigate", {"url": url})
        if "errorText" in navigation:
            raise DevToolsError(f"navigating to {url}: {navigation['errorText']}")
        await self.browser.wait_for_event(
            self.session, "Page.loadEventFired", after=loaded, timeout=timeout
        )

    async def evaluate(self, expression: str) -> Any:
        answer = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in answer:
            raise DevToolsError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    async def wait_for(self, expression: str, what: str, timeout: float = 30) -> Any:
        """Polls the expression until it is truthy; fails naming `what` it waited for."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            await asyncio.sleep(0.1)

    async def click(self, selector: str, text: str | None = None) -> None:
        """A real mouse click in the middle of the first element matching the selector (and
        whose text is `text`, when given)."""
        arguments = f"{json.dumps(selector)}, {json.dumps(text)}"
        centre = await self.evaluate(
            f"((selector, text) => {{"
            " const e = [...document.querySelectorAll(selector)]"
            "   .find(e => text === null || e.textContent.trim() === text);"
            " if (!e) return null;"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            f" return [r.x + r.width / 2, r.y + r.height / 2]; }})({arguments})"
        )
        if centre is None:
            raise AssertionError(f"no element matches {selector} with text {text!r}")
        x, y = centre
        await self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        for kind in ("mousePressed", "mouseReleased"):
            await self.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
            )

    async def select_all(self) -> None:
        control = 2
        key = {"key": "a", "code": "KeyA", "windowsVirtualKeyCode": 65, "modifiers": control}
        await self.send("Input.dispatchKeyEvent", {"type": "keyDown", **key})
        await self.send("Input.dispatchKeyEvent", {"type": "keyUp", **key})

    async def type(self, text: str) -> None:
        await self.send("Input.insertText", {"text": text})

    async def screenshot(self, path: Path) -> None:
        shot = await self.send("Page.captureScreenshot", {"format": "png"})
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))

    @contextlib.asynccontextmanager
    async def screenshot_on_failure(self, path: Path) -> AsyncIterator[None]:
        """What the page showed when the block failed, saved to `path` and named in the output."""
        try:
            yield
        except BaseException:
            await self.screenshot(path)
            print(f"screenshot: {path}")
            raise


@contextlib.asynccontextmanager
async def launch(executable: str, timeout: float = 30) -> AsyncIterator[Browser]:
    """A fresh browser with a fresh profile, gone (with its profile) when the block ends."""
    with tempfile.TemporaryDirectory(prefix="taskloom-chromium-") as scratch:
        profile, log = Path(scratch) / "profile", Path(scratch) / "chromium.log"
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                executable,
                *FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "about:blank",
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                start_new_session=True,  # its own group: ended below with all its children
            )
        try:
            url = await _devtools_url(profile / "DevToolsActivePort", process, log, timeout)
            async with connect(url, max_size=None, open_timeout=timeout) as socket:
                browser = Browser(socket)
                reader = asyncio.get_running_loop().create_task(browser.read())
                try:
                    yield browser
                finally:
                    with contextlib.suppress(DevToolsError, TimeoutError, OSError):
                        await browser.send("Browser.close", timeout=5)
                    reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await reader
        finally:
            await _stop(process)


async def _devtools_url(port_file: Path, process: Process, log: Path, timeout: float) -> str:
    """Chromium writes its port and browser path to the file once it listens."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if process.returncode is not None:
            raise DevToolsError(f"chromium exited ({process.returncode}): {_tail(log)}")
        lines = await asyncio.to_thread(_read_lines, port_file)
        if len(lines) == 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        await asyncio.sleep(0.05)
    raise DevToolsError(f"chromium did not open its DevTools port in {timeout} s: {_tail(log)}")


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text().split()
    except FileNotFoundError:
        return []


async def _stop(process: Process) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), 5)
            return


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]
