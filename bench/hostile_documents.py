"""Hostile GraphQL documents against the real server: how long `/healthz` takes while ten
anonymous clients send, again and again, small documents that are expensive to validate (the
same field repeated at one place: graphql-core's overlapping-fields rule is quadratic in it),
each made unique so that no cache answers it. `/healthz` is timed idle first, in the same run.

    python bench/hostile_documents.py [--seconds 6] [--clients 10] [--repeats 1200]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import taskloom_server

PROBE_INTERVAL = 0.02


def attack_document(unique: int, repeats: int) -> str:
    """8.4 KB at 1200 repeats, under the depth, alias, token and cost limits."""
    return f"{{ a{unique}:__typename" + " me{id}" * repeats + "}"


class Connection:
    """One keep-alive HTTP connection, reopened when the server closes it."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._connection = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            self._connection.request(method, path, body, headers)
            response = self._connection.getresponse()
        except (ConnectionError, http.client.HTTPException):
            self._connection.close()
            self._connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
            self._connection.request(method, path, body, headers)
            response = self._connection.getresponse()
        return response.status, response.read()


def probe_healthz(base: str, stop: threading.Event) -> list[float]:
    """Milliseconds per `/healthz`, one request every PROBE_INTERVAL until `stop`."""
    connection, timings = Connection(base), []
    while not stop.is_set():
        started = time.perf_counter()
        status, _ = connection.request("GET", "/healthz")
        timings.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
        stop.wait(PROBE_INTERVAL)
    return timings


def attack(
    base: str,
    stop: threading.Event,
    numbers: itertools.count[int],
    repeats: int,
    outcomes: Counter[str],
) -> None:
    connection = Connection(base)
    while not stop.is_set():
        body = json.dumps({"query": attack_document(next(numbers), repeats)}).encode()
        status, answer = connection.request("POST", "/graphql", body)
        errors = json.loads(answer).get("errors") or [{}]
        code = errors[0].get("extensions", {}).get("code", "none")
        outcomes[f"{status} {code}"] += 1


def timed_healthz(
    base: str, seconds: float, clients: int, repeats: int
) -> tuple[list[float], Counter[str]]:
    stop, outcomes, numbers = threading.Event(), Counter[str](), itertools.count()
    attackers = [
        threading.Thread(target=attack, args=(base, stop, numbers, repeats, outcomes))
        for _ in range(clients)
    ]
    for thread in attackers:
        thread.start()
    timings: list[float] = []
    prober = threading.Thread(target=lambda: timings.extend(probe_healthz(base, stop)))
    time.sleep(0.5 if clients else 0)  # let the attack get going before measuring
    prober.start()
    time.sleep(seconds)
    stop.set()
    for thread in [prober, *attackers]:
        thread.join()
    return timings, outcomes


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(name: str, timings: list[float]) -> None:
    print(
        f"  {name:28} p50 {statistics.median(timings):8.1f} ms   "
        f"p99 {percentile(timings, 0.99):8.1f} ms   max {max(timings):8.1f} ms   "
        f"({len(timings)} probes)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=1200)
    arguments = parser.parse_args()
    size = len(attack_document(0, arguments.repeats))
    with taskloom_server() as base:
        idle, _ = timed_healthz(base, arguments.seconds, 0, arguments.repeats)
        busy, outcomes = timed_healthz(
            base, arguments.seconds, arguments.clients, arguments.repeats
        )
    print(
        f"\nGET /healthz, idle and during {arguments.clients} anonymous clients sending unique "
        f"{size}-byte documents ({arguments.repeats} repeated fields), {arguments.seconds:g}s each"
    )
    report("idle", idle)
    report("under attack", busy)
    answered = ", ".join(f"{count} x {kind}" for kind, count in outcomes.most_common())
    rate = sum(outcomes.values()) / arguments.seconds
    print(f"  attack documents answered: {answered} ({rate:.1f}/s)")
    print(f"  p99 ratio attack/idle: {percentile(busy, 0.99) / percentile(idle, 0.99):.1f}x")


if __name__ == "__main__":
    main()
