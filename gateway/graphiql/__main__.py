"""`python -m gateway.graphiql install [DEST] [--force]` fetches the browser pages' files
(GraphiQL's and the API reference's, see assets.py); `check [DEST]` exits 1 when any is missing."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from gateway.api_docs.assets import SWAGGER_UI_FILES
from gateway.graphiql.assets import (
    VENDOR_FILES,
    AssetsMissing,
    default_assets_dir,
    install,
    load,
)

# One folder, one install step, for every page this server renders.
BROWSER_FILES = (*VENDOR_FILES, *SWAGGER_UI_FILES)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.graphiql")
    parser.add_argument("command", choices=("install", "check"))
    parser.add_argument("dest", nargs="?", type=Path, default=default_assets_dir())
    parser.add_argument("--force", action="store_true", help="install even if present")
    args = parser.parse_args(argv)
    dest: Path = args.dest.resolve()
    try:
        if args.command == "check":
            load(dest, BROWSER_FILES)
            print(f"The browser files are installed in {dest}")
        elif install(dest, BROWSER_FILES, force=args.force):
            print(f"The browser files installed in {dest}")
        else:
            print(f"The browser files already installed in {dest}")
    except AssetsMissing as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
