"""The cost of the metrics middleware: requests per second of `GET /users/me` with
TASKLOOM_METRICS on and off, two servers measured in alternated rounds of one run; the
medians and their ratio (the target: on within 10% of off).

    python bench/metrics.py [--rounds 5] [--seconds 4]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import median, post_json, taskloom_server, wrk


def _signed_in(base: str) -> dict[str, str]:
    account = {
        "username": "bench-user",
        "name": "Bench",
        "email": "bench@example.org",
        "password": "bench password 123",
    }
    return {"Authorization": f"Bearer {post_json(f'{base}/auth/register', account)['token']}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=4)
    arguments = parser.parse_args()
    with (
        taskloom_server({"TASKLOOM_METRICS": "on"}) as on,
        taskloom_server({"TASKLOOM_METRICS": "off"}) as off,
    ):
        servers = {"metrics on": (on, _signed_in(on)), "metrics off": (off, _signed_in(off))}
        figures: dict[str, list[float]] = {name: [] for name in servers}
        for _ in range(arguments.rounds):
            for name, (base, auth) in servers.items():
                result = wrk(f"{base}/users/me", seconds=arguments.seconds, headers=auth)
                assert result.errors == 0, f"{name}: {result.errors} errors"
                figures[name].append(result.requests_per_second)
    print(f"\nGET /users/me, median of {arguments.rounds} rounds of {arguments.seconds}s")
    for name, values in figures.items():
        rounds = ", ".join(f"{value:.0f}" for value in values)
        print(f"  {name:12} {median(values):8.0f} req/s  ({rounds})")
    ratio = median(figures["metrics on"]) / median(figures["metrics off"])
    print(f"  on / off     {ratio:8.3f}")


if __name__ == "__main__":
    main()
