"""A fake OpenAI-compatible server for tests: real HTTP on 127.0.0.1, an ephemeral port.

It runs uvicorn + Starlette in a background thread, so the real `openai` client, sync or async,
in any event loop, talks to it exactly as it would to a model server.

    from tests.fakes.openai_server import FakeOpenAI, error_reply, hang, text_reply, tool_call

    with FakeOpenAI(embedding_dimension=8) as fake:          # or fake.start() ... fake.stop()
        client = openai.AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
        fake.queue_chat(tool_call("search_knowledge", {"query": "zortium"}))
        ...
        fake.chat_requests()        # JSON bodies POSTed to /v1/chat/completions, in order
        fake.requests               # every request: RecordedRequest(method, path, headers, json)

Chat completions (`POST /v1/chat/completions`): each request takes the next queued reply, in
order. An empty queue answers 500 "fake: no chat reply queued", so a missing script fails loudly.
Reply builders:
  tool_call(name, arguments, content=None)  arguments: a dict (sent as JSON) or a str sent
                                            verbatim (for malformed JSON)
  text_reply(content)                       a plain assistant message, no tool call
  error_reply(status, message, headers=None)  e.g. error_reply(429); the client retries 429/5xx
                                            unless max_retries=0 (headers={"retry-after-ms": "1"}
                                            keeps a retry immediate)
  hang()                                    holds the request until `release()` or `stop()`:
                                            use with a client time-out shorter than the test's
Usage in answers: prompt_tokens ~ request characters / 4, completion_tokens ~ reply characters / 4.

Embeddings (`POST /v1/embeddings`): one vector per input string, `fake_embedding(text, dim)`,
where dim is the request's `dimensions` or the server's `embedding_dimension`. Vectors are
deterministic (a SHA-256 stream of the text), L2-normalised and exactly float32, so the
`encoding_format` "float" and "base64" (the openai client's default) give identical values.
Failures on demand: `fail_embeddings(status=500, times=1)`, or `queue_embeddings(reply)` with
`error_reply(...)` / `hang()`; an empty embeddings queue means "answer normally".

`GET /v1/models` lists `model`. With `api_key=` set, any other bearer token gets a 401.
`reset()` clears queues and recorded requests (for a server shared across tests).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = [
    "FakeOpenAI",
    "RecordedRequest",
    "Reply",
    "error_reply",
    "fake_embedding",
    "hang",
    "text_reply",
    "tool_call",
]


@dataclass(frozen=True)
class Reply:
    """One scripted answer: an assistant message, an HTTP error, or a hang."""

    message: dict[str, Any] | None = None
    finish_reason: str = "stop"
    status: int = 200
    error: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    hang: bool = False


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any


def tool_call(
    name: str, arguments: dict[str, Any] | str, content: str | None = None, call_id: str = "call_1"
) -> Reply:
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": raw}}
    message = {"role": "assistant", "content": content, "tool_calls": [call]}
    return Reply(message=message, finish_reason="tool_calls")


def text_reply(content: str) -> Reply:
    return Reply(message={"role": "assistant", "content": content})


def error_reply(
    status: int, message: str = "fake error", headers: Mapping[str, str] | None = None
) -> Reply:
    return Reply(status=status, error=message, headers=dict(headers or {}))


def hang() -> Reply:
    return Reply(hang=True)


def fake_embedding(text: str, dimension: int) -> list[float]:
    """The deterministic unit vector the fake answers for `text` (exactly float32 values)."""
    raw: list[float] = []
    counter = 0
    while len(raw) < dimension:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        raw.extend(value / 2**31 - 1.0 for value in struct.unpack("<8I", digest))
        counter += 1
    vector = raw[:dimension]
    norm = sum(value * value for value in vector) ** 0.5 or 1.0
    normalised = [value / norm for value in vector]
    return list(struct.unpack(f"<{dimension}f", struct.pack(f"<{dimension}f", *normalised)))


class FakeOpenAI:
    def __init__(
        self,
        *,
        model: str = "fake-model",
        embedding_dimension: int = 16,
        api_key: str | None = None,
    ) -> None:
        self.model = model
        self.embedding_dimension = embedding_dimension
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self._chat: deque[Reply] = deque()
        self._embeddings: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._release: asyncio.Event | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    # -- life cycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """For the openai client's `base_url` (ends in /v1)."""
        return f"http://127.0.0.1:{self._port}/v1"

    def start(self) -> FakeOpenAI:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app(), log_level="warning", lifespan="on", timeout_graceful_shutdown=5
        )
        self._server = uvicorn.Server(config)
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.run(sockets=[sock]), name="fake-openai", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout=30):
            raise RuntimeError("the fake OpenAI server did not start")
        return self

    def stop(self) -> None:
        self.release()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._server = self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- scripting --------------------------------------------------------------------------

    def queue_chat(self, *replies: Reply) -> None:
        with self._lock:
            self._chat.extend(replies)

    def queue_embeddings(self, *replies: Reply) -> None:
        with self._lock:
            self._embeddings.extend(replies)

    def fail_embeddings(self, status: int = 500, times: int = 1) -> None:
        self.queue_embeddings(*[error_reply(status, "fake embeddings failure")] * times)

    def release(self) -> None:
        """Let every hanging request answer (with a 500), now and from now on."""
        if self._loop is not None and self._release is not None:
            self._loop.call_soon_threadsafe(self._release.set)

    def reset(self) -> None:
        with self._lock:
            self._chat.clear()
            self._embeddings.clear()
            self.requests.clear()
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._new_release_event)

    def pending_chat(self) -> int:
        with self._lock:
            return len(self._chat)

    def chat_requests(self) -> list[Any]:
        return [r.json for r in self._recorded() if r.path.endswith("/chat/completions")]

    def embedding_requests(self) -> list[Any]:
        return [r.json for r in self._recorded() if r.path.endswith("/embeddings")]

    def _recorded(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self.requests)

    # -- the app ----------------------------------------------------------------------------

    def _new_release_event(self) -> None:
        self._release = asyncio.Event()

    def _app(self) -> Starlette:
        @asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            self._loop = asyncio.get_running_loop()
            self._new_release_event()
            self._ready.set()
            yield

        return Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat_completions, methods=["POST"]),
                Route("/v1/embeddings", self._embeddings_endpoint, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
            ],
            lifespan=lifespan,
        )

    async def _record(self, request: Request) -> tuple[Any, Response | None]:
        body = await request.body()
        try:
            payload = json.loads(body) if body else None
        except json.JSONDecodeError:
            payload = body.decode(errors="replace")
        with self._lock:
            self.requests.append(
                RecordedRequest(request.method, request.url.path, dict(request.headers), payload)
            )
        authorization = request.headers.get("authorization")
        if self.api_key is not None and authorization != f"Bearer {self.api_key}":
            return payload, _error(401, "fake: invalid API key")
        return payload, None

    async def _scripted(self, queue: deque[Reply]) -> Reply | None:
        with self._lock:
            reply = queue.popleft() if queue else None
        if reply is not None and reply.hang:
            assert self._release is not None
            await self._release.wait()
            return error_reply(500, "fake: released a hanging request")
        return reply

    async def _chat_completions(self, request: Request) -> Response:
        payload, refused = await self._record(request)
        if refused is not None:
            return refused
        reply = await self._scripted(self._chat)
        if reply is None:
            return _error(500, "fake: no chat reply queued")
        if reply.message is None:
            return _error(reply.status, reply.error or "fake error", reply.headers)
        answer = json.dumps(reply.message)
        prompt_tokens = max(1, len(json.dumps(payload)) // 4)
        completion_tokens = max(1, len(answer) // 4)
        return JSONResponse(
            {
                "id": f"chatcmpl-fake-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": (payload or {}).get("model", self.model),
                "choices": [
                    {
                        "index": 0,
                        "message": reply.message,
                        "finish_reason": reply.finish_reason,
                        "logprobs": None,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
        )

    async def _embeddings_endpoint(self, request: Request) -> Response:
        payload, refused = await self._record(request)
        if refused is not None:
            return refused
        reply = await self._scripted(self._embeddings)
        if reply is not None:
            return _error(reply.status, reply.error or "fake error", reply.headers)
        if not isinstance(payload, dict) or "input" not in payload:
            return _error(400, "fake: 'input' is required")
        inputs = payload["input"]
        texts = [inputs] if isinstance(inputs, str) else [str(item) for item in inputs]
        dimension = int(payload.get("dimensions") or self.embedding_dimension)
        as_base64 = payload.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(texts):
            vector = fake_embedding(text, dimension)
            encoded: Any = vector
            if as_base64:
                encoded = base64.b64encode(struct.pack(f"<{dimension}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(len(text.split()) for text in texts)
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": payload.get("model", self.model),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    async def _models(self, request: Request) -> Response:
        await self._record(request)
        model = {"id": self.model, "object": "model", "created": 0, "owned_by": "fake"}
        return JSONResponse({"object": "list", "data": [model]})


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    body = {"error": {"message": message, "type": "fake_error", "code": str(status)}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))
