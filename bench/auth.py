"""Accounts under load: requests per second of `GET /users/me` and of `{ me { id } }` against a
bare Starlette JSON endpoint (the ceiling), alternated in rounds in one run; the p99 latency of
`/users/me` while 16 sign-ins run at once (bcrypt must not stall other requests); and the time a
failed sign-in takes for a known and an unknown username.

    python bench/auth.py [--rounds 3] [--seconds 4]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.error import HTTPError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    WrkResult,
    ceiling_server,
    median,
    parse_wrk,
    post_json,
    taskloom_server,
    wrk,
    wrk_command,
    wrk_script,
)

ME_QUERY = json.dumps({"query": "{ me { id } }"})


def _throughput(base: str, ceiling: str, token: str, rounds: int, seconds: int) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    targets: dict[str, Callable[[], WrkResult]] = {
        "ceiling GET /ping": lambda: wrk(f"{ceiling}/ping", seconds=seconds),
        "REST GET /users/me": lambda: wrk(f"{base}/users/me", seconds=seconds, headers=auth),
        "GraphQL { me { id } }": lambda: wrk(
            f"{base}/graphql",
            seconds=seconds,
            method="POST",
            body=ME_QUERY,
            headers={**auth, "Content-Type": "application/json"},
        ),
    }
    figures: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, run in targets.items():
            result = run()
            assert result.errors == 0, f"{name}: {result.errors} errors"
            figures[name].append(result.requests_per_second)
    ceiling_rps = median(figures["ceiling GET /ping"])
    print(f"\nthroughput, 8 connections, median of {rounds} rounds of {seconds}s")
    for name, values in figures.items():
        rps = median(values)
        print(f"  {name:24} {rps:8.0f} req/s   {rps / ceiling_rps:6.1%} of the ceiling")


def _latency_under_logins(base: str, token: str, username: str, password: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    quiet = wrk(f"{base}/users/me", connections=2, seconds=6, headers=auth)
    login_body = json.dumps({"username": username, "password": password})
    json_header = {"Content-Type": "application/json"}
    with wrk_script("POST", login_body, json_header) as script:
        command = wrk_command(f"{base}/auth/login", script, connections=16, seconds=9)
        logins = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        time.sleep(1.5)  # let the 16 sign-ins saturate bcrypt before measuring
        busy = wrk(f"{base}/users/me", connections=2, seconds=6, headers=auth)
        signed_in = parse_wrk(logins.communicate()[0])
    login_rps = f"{signed_in.requests_per_second:.1f}"
    print("\nGET /users/me, 2 connections, 6s")
    print(f"  quiet:                 p50 {quiet.p50_ms:7.2f} ms   p99 {quiet.p99_ms:7.2f} ms")
    print(
        f"  16 sign-ins at once:   p50 {busy.p50_ms:7.2f} ms   p99 {busy.p99_ms:7.2f} ms"
        f"   (sign-ins: {login_rps} /s)"
    )
    print(f"  p99 ratio busy/quiet:  {busy.p99_ms / quiet.p99_ms:.1f}x")


def _failed_login_timing(base: str, username: str, attempts: int = 15) -> None:
    known: list[float] = []
    unknown: list[float] = []
    for n in range(attempts):
        for name, sink in ((username, known), (f"nobody{n}", unknown)):
            started = time.perf_counter()
            with contextlib.suppress(HTTPError):  # the expected 401
                post_json(f"{base}/auth/login", {"username": name, "password": "wrong pass"})
            sink.append((time.perf_counter() - started) * 1000)
    print(
        f"\nfailed sign-in, median of {attempts}: known user {median(known):.1f} ms, "
        f"unknown user {median(unknown):.1f} ms "
        f"(ratio {median(unknown) / median(known):.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4)
    arguments = parser.parse_args()
    username, password = "bench-user", "bench password 123"
    env = {"TASKLOOM_LOGIN_MAX_FAILURES": "1000"}  # the timing probe fails on purpose
    with taskloom_server(env) as base, ceiling_server() as ceiling:
        account = {
            "username": username,
            "name": "Bench",
            "email": "bench@example.org",
            "password": password,
        }
        token = str(post_json(f"{base}/auth/register", account)["token"])
        _throughput(base, ceiling, token, arguments.rounds, arguments.seconds)
        _latency_under_logins(base, token, username, password)
        _failed_login_timing(base, username)


if __name__ == "__main__":
    main()
