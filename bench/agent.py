"""The service's own cost per task step, with a fake model that answers at once: median and p99
of a whole step (HTTP request to recorded step) against the bare model call it contains,
measured in the same run, and the SQL statements per step.

    python bench/agent.py [--steps 200] [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import openai

from gateway.app import create_app
from infra.settings.values import AgentSettings
from models.migrate import apply_migrations
from tests.conftest import make_settings
from tests.fakes.openai_server import FakeOpenAI, tool_call
from tests.support.databases import scratch_postgres
from tests.support.live_server import LiveServer
from tests.support.query_count import count_queries


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def bare_model_calls(fake: FakeOpenAI, count: int) -> list[float]:
    client = openai.AsyncOpenAI(base_url=fake.base_url, api_key="bench", max_retries=0)
    timings = []
    for _ in range(count):
        fake.queue_chat(tool_call("list_documents", {}))
        started = time.perf_counter()
        await client.chat.completions.create(
            model="fake-model", messages=[{"role": "user", "content": "go on"}]
        )
        timings.append((time.perf_counter() - started) * 1000)
    await client.close()
    return timings


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    arguments = parser.parse_args()
    async with AsyncExitStack() as stack:
        data = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        fake = stack.enter_context(FakeOpenAI())
        url = (
            f"sqlite://{data / 'bench.sqlite3'}"
            if arguments.database == "sqlite"
            else await stack.enter_async_context(scratch_postgres("taskloom_bench"))
        )
        await apply_migrations(url)
        agent = AgentSettings(
            model="fake-model",
            base_url=fake.base_url,
            api_key="bench",
            model_retries=0,
            max_steps=1000,
        )
        live = await LiveServer(create_app(make_settings(data, url, agent=agent))).start()
        transport = httpx.AsyncHTTPTransport(
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        )
        async with httpx.AsyncClient(base_url=live.url, timeout=30, transport=transport) as http:
            account = {
                "username": "bench",
                "name": "Bench",
                "email": "b@example.org",
                "password": "bench password",
            }
            token = (await http.post("/auth/register", json=account)).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            task = (
                await http.post("/api/tasks", json={"message": "Benchmark me"}, headers=headers)
            ).json()
            model_ms = await bare_model_calls(fake, arguments.steps)
            step_ms: list[float] = []
            queries: list[int] = []
            for n in range(arguments.steps + 10):
                fake.queue_chat(tool_call("list_documents", {}))
                with count_queries() as counter:
                    started = time.perf_counter()
                    response = await http.post(f"/api/tasks/{task['id']}", json={}, headers=headers)
                    elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, response.text
                if n >= 10:  # warm-up
                    step_ms.append(elapsed)
                    queries.append(counter.count_excluding("ingestion_jobs"))
        await live.stop()
    model_median, step_median = statistics.median(model_ms), statistics.median(step_ms)
    print(f"{arguments.steps} steps on {arguments.database}, fake model answering at once")
    print(
        f"  bare model call   p50 {model_median:6.2f} ms   p99 {percentile(model_ms, 0.99):6.2f} ms"
    )
    print(
        f"  whole step        p50 {step_median:6.2f} ms   p99 {percentile(step_ms, 0.99):6.2f} ms"
    )
    print(
        f"  service overhead  p50 {step_median - model_median:6.2f} ms per step "
        f"({step_median / model_median:.1f}x the model call)"
    )
    print(
        f"  SQL per step      median {statistics.median(queries):.0f}, min {min(queries)}, "
        f"max {max(queries)} (with a history of up to {len(queries) + 10} steps)"
    )


if __name__ == "__main__":
    asyncio.run(main())
