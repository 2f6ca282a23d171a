"""GraphiQL's largest file (the graphiql JS bundle) served two ways, alternated in rounds in one
run: A, the hand-written serving of gateway/graphiql/page.py (held in memory, gzipped once,
ETag and 304s), and B, Starlette's `StaticFiles` wrapped in `GZipMiddleware(minimum_size=500)`
(which gzips the file again on every request). For each: requests per second and p50 latency
of full responses to `Accept-Encoding: gzip`, and of conditional requests (`If-None-Match` with
the server's own ETag, so 304s), and the bytes of one response's body. Figures only, medians
over the rounds and the ratio A/B; nothing is asserted.

    python bench/browser_pages.py [--rounds 3] [--seconds 4] [--connections 4]

Needs the files installed (`python -m gateway.graphiql install`) and wrk.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from bench.harness import (
    WrkResult,
    free_port,
    median,
    parse_wrk,
    serve,
    wrk_command,
    wrk_script,
)
from gateway.graphiql.assets import VENDOR_FILES, default_assets_dir, install_hint, is_installed
from gateway.graphiql.page import STATIC_PREFIX, GraphiQL

GZIP = {"Accept-Encoding": "gzip"}
READ = re.compile(r"(\d+) requests in \S+, ([\d.]+)(B|KB|MB|GB|TB) read")
BINARY = {"B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30, "TB": 2**40}


def largest_file() -> str:
    directory = default_assets_dir()
    return max((file.name for file in VENDOR_FILES), key=lambda n: (directory / n).stat().st_size)


def hand_written_app() -> Starlette:
    """A: the routes of gateway/graphiql/page.py themselves (`VendoredPage.static`, then
    `_asset_response` with the `Asset` its own loader built)."""
    return Starlette(routes=GraphiQL().routes())


def static_files_app() -> Starlette:
    """B: the same folder through Starlette's own pieces."""
    return Starlette(
        routes=[Mount(STATIC_PREFIX, app=StaticFiles(directory=default_assets_dir()))],
        middleware=[Middleware(GZipMiddleware, minimum_size=500)],
    )


@contextlib.contextmanager
def server(factory: str, asset: str) -> Iterator[str]:
    """One uvicorn process serving `bench.browser_pages:<factory>()`; yields the asset's URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}{STATIC_PREFIX}/{asset}"
    command = [sys.executable, "-m", "uvicorn", "--factory", f"bench.browser_pages:{factory}"]
    command += ["--port", str(port), "--log-level", "warning"]
    # The first request also warms A up (it reads and gzips the files then).
    with serve(command, url, {}):
        yield url


def fetch(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """One request: status, headers (lower-case names), body as sent (not decompressed)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    try:
        connection.request("GET", parts.path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        found = {name.lower(): value for name, value in response.getheaders()}
        return response.status, found, body
    finally:
        connection.close()


def measure(
    url: str, headers: dict[str, str], connections: int, seconds: int
) -> tuple[WrkResult, float]:
    """wrk's figures, and the bytes it read per response (headers included; responses still
    in flight when wrk stops count too, so it is rough when only a few complete)."""
    with wrk_script(headers=headers) as script:
        command = wrk_command(url, script, connections, seconds)
        done = subprocess.run(command, capture_output=True, text=True, check=True)
    if done.stderr.strip():  # wrk runs on when its script fails: never count such a run
        raise SystemExit(f"wrk: {done.stderr.strip()}")
    found = READ.search(done.stdout)
    if found is None:
        raise SystemExit(f"wrk printed no byte count:\n{done.stdout}")
    count, amount, unit = int(found.group(1)), float(found.group(2)), found.group(3)
    return parse_wrk(done.stdout), amount * BINARY[unit] / max(count, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=4)
    options = parser.parse_args()
    directory = default_assets_dir()
    if not is_installed(directory):
        raise SystemExit(f"the GraphiQL files are not installed: {install_hint(directory)}")
    asset = largest_file()
    print(f"# {asset}: {(directory / asset).stat().st_size} bytes")

    with server("hand_written_app", asset) as a_url, server("static_files_app", asset) as b_url:
        urls = {"A": a_url, "B": b_url}
        etags: dict[str, str] = {}
        for side, url in urls.items():
            status, headers, body = fetch(url, GZIP)
            if status != 200 or headers.get("content-encoding") != "gzip":
                raise SystemExit(f"{side}: {status} {headers.get('content-encoding')!r}")
            etags[side] = headers["etag"]
            conditional = {**GZIP, "If-None-Match": etags[side]}
            not_modified, _, empty = fetch(url, conditional)
            if not_modified != 304:
                raise SystemExit(f"{side}: If-None-Match got {not_modified}, not 304")
            print(f"{side} bytes per gzip response: {len(body)}")
            print(f"{side} bytes per 304 response body: {len(empty)}")

        cases: dict[str, Callable[[str], dict[str, str]]] = {
            "gzip": lambda side: GZIP,
            "304": lambda side: {**GZIP, "If-None-Match": etags[side]},
        }
        results: dict[tuple[str, str], list[WrkResult]] = {}
        read: dict[tuple[str, str], list[float]] = {}
        for number in range(options.rounds):
            for case, headers_of in cases.items():
                for side, url in urls.items():
                    result, per_response = measure(
                        url, headers_of(side), options.connections, options.seconds
                    )
                    results.setdefault((case, side), []).append(result)
                    read.setdefault((case, side), []).append(per_response)
                    print(
                        f"# round {number + 1} {case} {side}: {result.requests_per_second:.1f} "
                        f"req/s, p50 {result.p50_ms:.2f} ms, {per_response:.0f} bytes read "
                        f"per response, errors {result.errors}",
                        flush=True,
                    )

    print(f"\n# medians over {options.rounds} rounds, A = hand-written, B = StaticFiles + GZip")
    for case in cases:
        rps = {s: median([r.requests_per_second for r in results[(case, s)]]) for s in urls}
        p50 = {s: median([r.p50_ms for r in results[(case, s)]]) for s in urls}
        errors = {s: sum(r.errors for r in results[(case, s)]) for s in urls}
        wire = {s: median(read[(case, s)]) for s in urls}
        print(
            f"{case} req/s: A {rps['A']:.1f} B {rps['B']:.1f} A/B {rps['A'] / rps['B']:.2f}x\n"
            f"{case} p50 ms: A {p50['A']:.2f} B {p50['B']:.2f} A/B {p50['A'] / p50['B']:.3f}x\n"
            f"{case} bytes read per response (wrk): A {wire['A']:.0f} B {wire['B']:.0f}\n"
            f"{case} errors: A {errors['A']} B {errors['B']}"
        )


if __name__ == "__main__":
    main()
