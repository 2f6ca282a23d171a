"""X-Request-ID on every answer, the client's own when it is sane; and JSON log lines that carry
it, from `taskloom serve` in a child process."""

from __future__ import annotations

import asyncio
import json
import re
from urllib.parse import urlsplit

import httpx

from tests.support.processes import (
    free_port,
    migrated_with_user,
    start_taskloom,
    taskloom_env,
    until_serving,
)

GENERATED = re.compile(r"[0-9a-f]{32}")


async def test_a_sane_id_is_echoed(client):
    for given in ("abc-123", "3f2c9a1e.trace:7", "x" * 128):
        response = await client.get("/healthz", headers={"X-Request-ID": given})
        assert response.headers["x-request-id"] == given


async def test_without_one_each_answer_gets_a_new_id(client):
    ids = [(await client.get(path)).headers["x-request-id"] for path in ("/healthz", "/nowhere")]
    assert all(GENERATED.fullmatch(given) for given in ids)
    assert ids[0] != ids[1]
    refused = await client.post("/graphql", content=b"{", headers={"content-type": "text/x"})
    assert GENERATED.fullmatch(refused.headers["x-request-id"])


async def test_a_hostile_id_is_replaced(client):
    for hostile in ("x" * 129, "a b", "<script>", "id;drop", "caf\u00e9"):
        response = await client.get("/healthz", headers={"X-Request-ID": hostile.encode()})
        assert GENERATED.fullmatch(response.headers["x-request-id"]), hostile


async def test_a_newline_in_the_id_never_reaches_the_answer(server):
    """httpx will not send it: a raw request, whose header value holds a bare LF."""
    address = urlsplit(server.url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    writer.write(
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc\ninjected: 1\r\n"
        b"Connection: close\r\n\r\n"
    )
    await writer.drain()
    answer = await reader.read()
    writer.close()
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert b"injected" not in head
    ids = [line for line in head.split(b"\r\n") if line.startswith(b"x-request-id:")]
    assert all(GENERATED.fullmatch(line.split(b": ", 1)[1].decode()) for line in ids)


async def test_json_log_lines_carry_the_request_id(fresh_database_url, tmp_path):
    env = taskloom_env(
        tmp_path / "data", fresh_database_url, TASKLOOM_LOG_FORMAT="json", TASKLOOM_METRICS="on"
    )
    await migrated_with_user(env, "ada")
    port = free_port()
    process = await start_taskloom(env, "serve", "--port", str(port), "--log-level", "info")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            await until_serving(http)
            answer = await http.get("/users/me", headers={"X-Request-ID": "trace-me-42"})
            assert answer.status_code == 401
    finally:
        process.terminate()
        _, err = await asyncio.wait_for(process.communicate(), 60)
    lines = [line for line in err.decode().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is JSON
    mine = [record for record in records if record["request_id"] == "trace-me-42"]
    assert mine, lines
    assert any("/users/me" in record["message"] for record in mine)
    assert all({"time", "level", "logger", "message"} <= set(record) for record in records)
