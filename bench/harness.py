"""Shared pieces of the benchmarks: servers in their own processes, wrk as the load generator,
and figures reported as medians and ratios (the machine is shared and noisy)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def serve(
    command: list[str], health_url: str, env: dict[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=ROOT)
    try:
        wait_until_up(health_url)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def taskloom_server(extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """A migrated Taskloom on a fresh data folder; yields its base URL."""
    with taskloom_process(extra_env) as server:
        yield server.url


@dataclass(frozen=True)
class RunningServer:
    url: str
    pid: int  # the `taskloom serve` process itself (one uvicorn worker, in-process)


@contextlib.contextmanager
def taskloom_process(
    extra_env: dict[str, str] | None = None,
    before_serve: Callable[[dict[str, str]], None] | None = None,
) -> Iterator[RunningServer]:
    """As `taskloom_server`, and the server's process id, to watch its memory. `before_serve`
    gets the server's environment once the database is migrated, to seed it."""
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        env = {"TASKLOOM_DATA_DIR": data_dir, **(extra_env or {})}
        taskloom = [sys.executable, "-m", "gateway.cli"]
        subprocess.run(
            [*taskloom, "migrate"],
            env={**os.environ, **env},
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        if before_serve is not None:
            before_serve(env)
        command = [*taskloom, "serve", "--port", str(port), "--log-level", "warning"]
        url = f"http://127.0.0.1:{port}"
        with serve(command, f"{url}/healthz", env) as process:
            yield RunningServer(url, process.pid)


@contextlib.contextmanager
def ceiling_server() -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.ceiling_app:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with serve(command, f"{url}/ping", {}):
        yield url


def post_json(url: str, body: object, token: str | None = None) -> dict[str, object]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        result: dict[str, object] = json.loads(response.read())
        return result


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


@contextlib.contextmanager
def wrk_script(
    method: str = "GET", body: str | None = None, headers: dict[str, str] | None = None
) -> Iterator[str]:
    """A wrk Lua script file for one kind of request."""
    if shutil.which("wrk") is None:
        raise SystemExit("these benchmarks need wrk: apt-get install wrk")
    # JSON strings are Lua strings: values holding `"` (an ETag) stay whole.
    lines = [f"wrk.method = {json.dumps(method)}"]
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body)}")
    for name, value in (headers or {}).items():
        lines.append(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write("\n".join(lines) + "\n")
        script.flush()
        yield script.name


def wrk_command(url: str, script: str, connections: int, seconds: int) -> list[str]:
    return ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, url]


def wrk(
    url: str,
    *,
    connections: int = 8,
    seconds: int = 4,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> WrkResult:
    with wrk_script(method, body, headers) as script:
        command = wrk_command(url, script, connections, seconds)
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> WrkResult:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    percentiles = {
        int(p): float(v) * UNITS[u]
        for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    }
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    socket_errors = re.search(r"Socket errors: (.*)", output)
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return WrkResult(
        rps, percentiles.get(50, float("nan")), percentiles.get(99, float("nan")), errors
    )


def rss_bytes(pid: int) -> int:
    """A process's resident set size, from /proc (Linux); 0 once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) * 1024 if found else 0


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (children, grandchildren...)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name, in parentheses, may hold spaces: the parent comes after it.
            parents[int(stat.parent.name)] = int(stat.read_text().rpartition(")")[2].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


class PeakRss:
    """Samples a process's RSS, and the sum of its descendants', from a thread while in use."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval = pid, interval
        self.peak = self.children_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss_bytes(self.pid))
            children = sum(rss_bytes(child) for child in descendants(self.pid))
            self.children_peak = max(self.children_peak, children)
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def median(values: list[float]) -> float:
    return statistics.median(values)
