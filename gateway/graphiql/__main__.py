"""`python -m gateway.graphiql install [DEST] [--force]` fetches GraphiQL's files (see assets.py);
`check [DEST]` exits 1 when they are missing."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from gateway.graphiql.assets import AssetsMissing, default_assets_dir, install, load


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.graphiql")
    parser.add_argument("command", choices=("install", "check"))
    parser.add_argument("dest", nargs="?", type=Path, default=default_assets_dir())
    parser.add_argument("--force", action="store_true", help="install even if present")
    args = parser.parse_args(argv)
    dest: Path = args.dest.resolve()
    try:
        if args.command == "check":
            load(dest)
            print(f"GraphiQL's files are installed in {dest}")
        elif install(dest, force=args.force):
            print(f"GraphiQL's files installed in {dest}")
        else:
            print(f"GraphiQL's files already installed in {dest}")
    except AssetsMissing as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
