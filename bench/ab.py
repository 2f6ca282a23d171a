"""A/B: one benchmark of this repository, run alternately on an earlier commit and on the working
tree, in the same session (this machine is shared and noisy, so only same-run ratios count).

    python bench/ab.py auth --before 690143b --runs 3 -- --rounds 1 --seconds 4

The earlier commit (and `--after`'s, if given) is checked out in a temporary worktree; both
sides run with this venv's Python. Every figure a line of the benchmark prints is compared: the
line, with its numbers replaced by `#`, is the figure's name; each side's median over the runs
is printed with the ratio after/before.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")

Figures = dict[str, list[float]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bench", help="a script of bench/, without .py")
    parser.add_argument("--before", required=True, help="the commit to compare against")
    parser.add_argument("--after", help="a commit to run instead of the working tree")
    parser.add_argument("--runs", type=int, default=3)
    ours, theirs = _split_at_dashes(sys.argv[1:])
    options = parser.parse_args(ours)
    options.args = theirs
    with tempfile.TemporaryDirectory(prefix="taskloom-ab-") as folder:
        before, after = Path(folder) / "before", Path(folder) / "after"
        git("worktree", "add", "--detach", "--quiet", str(before), options.before)
        if options.after:
            git("worktree", "add", "--detach", "--quiet", str(after), options.after)
        try:
            runs: dict[str, list[Figures]] = {"before": [], "after": []}
            for number in range(options.runs):
                for side, tree in (("before", before), ("after", after if options.after else ROOT)):
                    print(f"# run {number + 1}/{options.runs}: {side}", flush=True)
                    output = run_bench(tree, options.bench, options.args)
                    print(output, flush=True)
                    runs[side].append(figures(output))
            report(runs)
        finally:
            git("worktree", "remove", "--force", str(before))
            if options.after:
                git("worktree", "remove", "--force", str(after))
    return 0


def _split_at_dashes(arguments: list[str]) -> tuple[list[str], list[str]]:
    """ab.py's own arguments, and the benchmark's (after `--`)."""
    if "--" not in arguments:
        return arguments, []
    at = arguments.index("--")
    return arguments[:at], arguments[at + 1 :]


def git(*arguments: str) -> None:
    subprocess.run([shutil.which("git") or "git", *arguments], cwd=ROOT, check=True)


def run_bench(tree: Path, bench: str, arguments: list[str]) -> str:
    command = [sys.executable, str(tree / "bench" / f"{bench}.py"), *arguments]
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{bench} failed in {tree}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def figures(output: str) -> Figures:
    """Each line's numbers, under the line's text with its numbers taken out; a line that
    repeats (the same table at another load) is numbered: `[2]`, `[3]`."""
    found: Figures = {}
    for line in output.splitlines():
        numbers = [float(n) for n in NUMBER.findall(line)]
        if numbers:
            name = " ".join(NUMBER.sub("#", line).split())  # padding varies
            repeat = sum(1 for seen in found if seen.split(" [")[0] == name)
            found[f"{name} [{repeat + 1}]" if repeat else name] = numbers
    return found


def report(runs: dict[str, list[Figures]]) -> None:
    print("\n# medians over the runs, after/before")
    names = [name for name in runs["after"][0] if name in runs["before"][0]]
    for name in names:
        sides = {side: _medians(side_runs, name) for side, side_runs in runs.items()}
        ratios = [
            f"{after / before:.3f}x" if before else "-"
            for before, after in zip(sides["before"], sides["after"], strict=False)
        ]
        print(f"{name}\n  before {sides['before']}\n  after  {sides['after']}\n  ratio  {ratios}")


def _medians(side_runs: list[Figures], name: str) -> list[float]:
    columns: defaultdict[int, list[float]] = defaultdict(list)
    for run in side_runs:
        for position, value in enumerate(run.get(name, [])):
            columns[position].append(value)
    return [round(statistics.median(values), 3) for _, values in sorted(columns.items())]


if __name__ == "__main__":
    sys.exit(main())
